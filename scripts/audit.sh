#!/usr/bin/env bash
# make audit: Lighthouse (pinned in package.json) scores for the home page, a post page with comments and a tag
# page, with the transferred bytes of a first visit, against the built binary on a temporary SQLite database, using Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "audit: chromium is not installed (apt-get install chromium)"; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
ADDR="127.0.0.1:$port" DATABASE_URL="sqlite:$work/audit.db" LOG_LEVEL=warn SPAM_MIN_SECONDS=0 ./bin/web &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# Two comments, posted the way a visitor does (cookie + CSRF token from the page).
jar="$work/cookies"
page=$(curl -fs -c "$jar" "$base/posts/hello-world")
token=$(echo "$page" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
stamp=$(echo "$page" | sed -n 's/.*name="_t" value="\([^"]*\)".*/\1/p')
for who in Ada Grace; do
  curl -fs -b "$jar" -o /dev/null -d "username=$who&email=$who@example.com&body=A+comment+from+$who.&_csrf=$token&_t=$stamp" \
    "$base/posts/hello-world/comments"
done

mkdir -p bench-results
for page in / /posts/hello-world /tags/howto; do
  case "$page" in /) name=home ;; /tags/*) name=tag ;; *) name=post ;; esac
  # Lighthouse's first trace in a fresh browser profile sometimes fails (NO_NAVSTART): try up to three times.
  for try in 1 2 3; do
    CHROME_PATH="$chrome" npx --no-install lighthouse "$base$page" --quiet \
      --chrome-flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --user-data-dir=$work/chrome-$name-$try" \
      --output=json --output-path="bench-results/lighthouse-$name.json" >/dev/null 2>&1 || true
    node -e 'process.exit(require(process.argv[1]).runtimeError ? 1 : 0)' "$PWD/bench-results/lighthouse-$name.json" && break
  done
  node -e '
    const r = require(process.argv[1]);
    const s = Object.values(r.categories).map(c => `${c.title}: ${Math.round(c.score * 100)}`).join(", ");
    const bytes = r.audits["total-byte-weight"].details.items;
    const kib = n => (n / 1024).toFixed(1) + " KiB";
    const by = t => bytes.filter(i => i.url.includes(t)).reduce((a, i) => a + i.totalBytes, 0);
    console.log(`${process.argv[2].padEnd(20)} ${s}`);
    console.log(`${"".padEnd(20)} first visit ${kib(r.audits["total-byte-weight"].numericValue)}: fonts ${kib(by(".woff2"))}, CSS ${kib(by(".css"))}, JS ${kib(by(".js"))}`);
    for (const c of Object.values(r.categories)) for (const ref of c.auditRefs) {
      const a = r.audits[ref.id];
      if (ref.weight > 0 && a.score !== null && a.score < 1) console.log(`   - ${c.title}: ${a.title} (${a.displayValue || a.score})`);
    }' "$PWD/bench-results/lighthouse-$name.json" "$page"
done
echo "full reports: bench-results/lighthouse-*.json"
