package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMakeDev runs `make dev` as a developer does, in a copy of the tree, on a port of its own (PORT), and edits
// a templ file's markup, a templ file's Go, a Go file, the CSS and every script make js builds: each change must
// reach the served page and the open page be told to reload, without a manual step, and the markup, CSS and
// script edits without a build; putting the files back must leave the tree exactly as committed. The times are logged; the deadlines
// are only there so that a broken watcher fails instead of hanging.
func TestMakeDev(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole development loop (make test-short skips it)")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "tailwindcss")); err != nil {
		t.Skip("node_modules not installed (make test installs them)")
	}
	dir := copyTree(t, root)
	port := freePort(t)
	cmd := exec.Command("make", "dev", "PORT="+port)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("make dev said:\n%s", logs.String())
		}
	})
	base := "http://localhost:" + port
	get := func(path string) string {
		resp, err := http.Get(base + path)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitWithin := func(what string, limit time.Duration, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for deadline := start.Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if cond() {
				return time.Since(start)
			}
			select {
			case <-exited:
				t.Fatalf("%s: make dev exited", what)
			default:
			}
		}
		t.Fatalf("%s: not seen within %v", what, limit)
		return 0
	}
	waitFor := func(what string, cond func() bool) time.Duration {
		t.Helper()
		return waitWithin(what, 4*time.Minute, cond)
	}
	// The first build compiles the whole blog in the copy: with a cold build cache, on a machine busy with
	// other builds (the rest of go test ./... among them), that alone can take minutes. A broken start shows
	// sooner (make dev exits, or says the build failed); the limit only stops a hang within go test's own.
	waitWithin("the blog served on PORT", 15*time.Minute, func() bool {
		if strings.Contains(logs.String(), "dev: the build failed") {
			t.Fatal("the first build failed")
		}
		return strings.Contains(get("/posts/hello-world"), "/_dev/reload.js")
	})
	reloads := openReloads(t, base)
	clean := func(when string) {
		t.Helper()
		out, err := exec.Command("git", "-C", dir, "status", "--porcelain").CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Fatalf("%s: the tree is not as committed (%v):\n%s", when, err, out)
		}
	}
	asset := regexp.MustCompile(`/assets/dist/(app\.css|app\.js)\?v=[0-9a-f]+`)
	assets := func() string { return strings.Join(asset.FindAllString(get("/posts/hello-world"), -1), " ") }
	// Each run's edits are new to the build cache, so the times logged are those of a real edit.
	probe := strconv.FormatInt(time.Now().UnixNano(), 36)
	builds := func() int { return strings.Count(logs.String(), "dev: rebuilt and restarted") }
	edits := []struct {
		name, file, from, to string
		seen                 func() bool
	}{
		// The words are in the catalogues (i18n/locales); a templ edit of markup only is served without a build
		// (templ's development mode, checked below), one of a Go expression with one.
		{"templ markup", "views/comments.templ", `data-testid="EmptyComments"`, `data-testid="EmptyComments" data-dev-` + probe,
			func() bool { return strings.Contains(get("/posts/hello-world"), "data-dev-"+probe) }},
		{"templ Go", "views/comments.templ", `{ t(ctx, "comments.first") }`, `{ t(ctx, "comments.first") + " (dev ` + probe + `)" }`,
			func() bool { return strings.Contains(get("/posts/hello-world"), "(dev "+probe+")") }},
		{"Go", "handlers/server.go", `"There is nothing at this address.`, `"Nothing lives at this address ` + probe + `.`,
			func() bool { return strings.Contains(get("/no-such-page"), "Nothing lives at this address "+probe+".") }},
	}
	for _, e := range edits {
		before := builds()
		original := edit(t, filepath.Join(dir, e.file), e.from, e.to)
		took := waitFor(e.name+" edit", e.seen)
		t.Logf("%s edit served after %s", e.name, took.Round(10*time.Millisecond))
		reloads.expect(t)
		if e.name == "templ markup" && builds() != before {
			t.Errorf("a templ edit of markup only rebuilt the blog:\n%s", logs.String())
		}
		os.WriteFile(filepath.Join(dir, e.file), original, 0o644)
		waitFor(e.name+" edit undone", func() bool { return !e.seen() })
	}
	// The stylesheet and the scripts are read from assets/ at start (ASSETS_DIR): a restart serves them, no build.
	noBuild := func(what string, since int) {
		t.Helper()
		if builds() != since {
			t.Errorf("%s rebuilt the blog:\n%s", what, logs.String())
		}
	}
	built := builds()
	before := assets()
	original := edit(t, filepath.Join(dir, "assets/css/input.css"), "@tailwind utilities;", "@tailwind utilities;\n.dev-"+probe+" { color: red; }")
	took := waitFor("CSS edit", func() bool { a := assets(); return a != "" && a != before })
	t.Logf("CSS edit served after %s", took.Round(10*time.Millisecond))
	reloads.expect(t)
	noBuild("a CSS edit", built)
	os.WriteFile(filepath.Join(dir, "assets/css/input.css"), original, 0o644)
	waitFor("CSS edit undone", func() bool { return assets() == before })

	// Every script make js builds (the Makefile's JS_SRC, the list make dev is given), edited at once: each is
	// rebuilt and served, and the page links the new app.js. One edit for all keeps it to one rebuild.
	scripts := makeVar(t, dir, "JS_SRC")
	scriptProbe := "window.devProbe = " + strconv.Quote(probe) + ";"
	served := func(want bool) func() bool {
		return func() bool {
			for _, src := range scripts {
				if strings.Contains(get("/assets/dist/"+filepath.Base(src)), "devProbe") != want {
					return false
				}
			}
			a := assets()
			return a != "" && (a != before) == want
		}
	}
	originals := map[string][]byte{}
	for _, src := range scripts {
		originals[src] = edit(t, filepath.Join(dir, src), "", scriptProbe+"\n") // "" is the file's start
	}
	took = waitFor("script edits", served(true))
	t.Logf("edits of %d scripts served after %s", len(scripts), took.Round(10*time.Millisecond))
	reloads.expect(t)
	noBuild("script edits", built)
	for src, b := range originals {
		os.WriteFile(filepath.Join(dir, src), b, 0o644)
	}
	waitFor("script edits undone", served(false))
	clean("after every edit was undone")
}

// makeVar returns the words of a variable of the Makefile in dir, as make expands it.
func makeVar(t *testing.T, dir, name string) []string {
	t.Helper()
	cmd := exec.Command("make", "-s", "--eval", "print-var: ; @echo $("+name+")", "print-var")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil || len(strings.Fields(string(out))) == 0 {
		t.Fatalf("the Makefile's %s: %v %q", name, err, out)
	}
	return strings.Fields(string(out))
}

// edit replaces from by to in a file and returns what it held.
func edit(t *testing.T, path, from, to string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), from) {
		t.Fatalf("%s does not hold %q (%v)", path, from, err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), from, to, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// reloadStream is an open page's connection to /_dev/events.
type reloadStream struct{ events chan string }

func openReloads(t *testing.T, base string) *reloadStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_dev/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rs := &reloadStream{events: make(chan string, 16)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: ") {
				rs.events <- strings.TrimPrefix(sc.Text(), "event: ")
			}
		}
	}()
	return rs
}

// expect waits for the reload an edit must bring (the page script reloads on it).
func (rs *reloadStream) expect(t *testing.T) {
	t.Helper()
	select {
	case ev := <-rs.events:
		if ev != "reload" {
			t.Fatalf("event %q, want reload", ev)
		}
	case <-time.After(time.Minute):
		t.Fatal("the open page was not told to reload")
	}
	for len(rs.events) > 0 { // a change may bring more than one rebuild (a generated file, then its build)
		<-rs.events
	}
}

// copyTree copies the files git knows of (committed or not, not ignored) to a new repository, with the
// installed npm packages linked in as hard links (npm may replace them there; the originals stay).
func copyTree(t *testing.T, root string) string {
	t.Helper()
	dir := copyDir(t, root)
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // listed but removed in the working tree
		}
		dst := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("cp", "-al", filepath.Join(root, "node_modules"), filepath.Join(dir, "node_modules")).CombinedOutput(); err != nil {
		t.Fatalf("link node_modules: %v %s", err, out)
	}
	now := time.Now()
	os.Chtimes(filepath.Join(dir, "node_modules"), now, now) // installed after package.json: make leaves it
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.email=dev@example.com", "-c", "user.name=dev", "commit", "-qm", "copy"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	return dir
}

// copyDir returns an empty folder for the copy of the tree at root, removed when the test ends. It is the same
// folder on every run from one checkout: Go's build cache keys a package built without -trimpath by its folder,
// so in a new folder each time make dev compiled every package of the blog anew, run after run; here only what
// changed since the last run is compiled. A lock on the folder keeps two runs from sharing it (the second takes
// a temporary folder).
func copyDir(t *testing.T, root string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), "blog-make-dev-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return t.TempDir()
	}
	lock, err := os.Open(dir)
	if err != nil {
		return t.TempDir()
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return t.TempDir()
	}
	entries, _ := os.ReadDir(dir) // what a run that was killed left
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	t.Cleanup(func() {
		os.RemoveAll(dir)
		lock.Close()
	})
	return dir
}

func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout")
	}
	return strings.TrimSpace(string(out))
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// lockedBuffer collects a process's output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
