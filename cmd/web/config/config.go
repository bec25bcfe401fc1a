// Package config reads the program's configuration from the environment: Settings lists every variable with its
// default and its help (`web --help` prints them and the README describes each), and Load reads and checks them
// all once, into a Config that the program hands to what it builds.
package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"blog/clientip"
	"blog/handlers"
	"blog/i18n"
	"blog/limits"
	"blog/moderation"
	"blog/notify/mailrelay"
	"blog/spam"
	"blog/uploads"
)

// Setting is one environment variable the program reads: its name, its default and a sentence of help.
type Setting struct {
	Name, Default, Help string
}

// Settings lists every variable, for `web --help` and the README.
var Settings = []Setting{
	{"DATABASE_URL", "", "Database to use. Unset: the SQLite file app.db in the working directory. " +
		"sqlite:PATH for another SQLite file, postgres://user@host:5432/db for PostgreSQL."},
	{"PORT", "8080", "Port to listen on (all interfaces)."},
	{"ADDR", "", "Full listen address (host:port); overrides PORT. Example: 127.0.0.1:8080."},
	{"CONTENT_DIR", "", "Folder with posts/*.md, pages/*.md and media/ (served at /media/). Unset: the sample content built into the binary."},
	{"ASSETS_DIR", "", "For development (make dev sets it to assets): serve the stylesheet, scripts and other static files from this folder instead of the ones built into the binary. Unset: the built-in ones."},
	{"AUTO_MIGRATE", "true", "Apply pending migrations at start. false: refuse to start while migrations are pending."},
	{"SITE_TITLE", "Field Notes", "The blog's name, shown in the header and titles."},
	{"SITE_LANG", "en", "The blog's language (a BCP 47 tag: de, fr, pt-BR, zh-Hans, ar ...): every word readers see, dates, numbers and the page's direction. A post's lang front matter wins on its page. Shipped: " + strings.Join(i18n.Shipped().Languages(), ", ") + "; another language gets English words."},
	{"SITE_AUTHOR", "", "The blog's author, named in the feeds and page metadata. Unset: the blog's name."},
	{"SITE_TAGLINE", "", "A sentence under the blog's name on the home page (and its description when SITE_DESCRIPTION is unset)."},
	{"SITE_DESCRIPTION", "", "The blog described for search engines and link previews."},
	{"SITE_FOOTER", "", "The footer's sentence. Unset: the blog's name and a word about comments."},
	{"SITE_IMAGE", "", "Picture shown when a page is shared (Open Graph): a path such as /media/card.png or an address. Unset: a built-in one. A post's image front matter wins."},
	{"BASE_URL", "", "Public URL of the blog (https://blog.example.com), for canonical and Open Graph links."},
	{"LOG_FORMAT", "text", "text (readable) or json (one JSON object per line)."},
	{"LOG_LEVEL", "info", "debug, info, warn or error."},
	{"SECRET_KEY", "", "Key that signs CSRF tokens (32+ characters). Unset: a random key kept in the database, shared by instances."},
	{"TRUSTED_PROXIES", "", "Comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed (e.g. 127.0.0.1,10.0.0.0/8)."},
	{"RATE_LIMIT", "3/5s", "Comments per client IP: BURST/INTERVAL (3 at once, then one every 5 s), or off."},
	{"MAX_CONNECTIONS", "", "Open connections the server holds at most (event streams included). Unset: the file-descriptor limit (raised to its hard limit at start) less 256."},
	{"MAX_CONNS_PER_CLIENT", "64", "Open connections one client address may hold (an IPv6 /64 counts as one address; TRUSTED_PROXIES are exempt)."},
	{"MAX_STREAMS_PER_CLIENT", "16", "Live-comment streams one client address may hold open (one per open tab)."},
	{"MODERATION", "off", "off: new comments appear at once; first: a browser's comments wait until the owner approves one of them; all: every new comment waits. Bans and the spam rules hold comments in every mode."},
	{"SPAM_MIN_SECONDS", "3", "A comment posted sooner than this after its page loaded is held (people take longer; programs do not). 0 turns the rule off."},
	{"FORM_MAX_AGE", "24h", "A comment from a form older than this is sent back to be posted again (the text is kept)."},
	{"LINK_LIMIT", "2", "A comment with more links than this is held. off: no limit."},
	{"SPAM_WORDS", "", "Comma-separated words or phrases; a comment (or name) containing one as a whole word is held."},
	{"EDIT_WINDOW", "15m", "How long the browser that posted a comment may edit or delete it (until somebody replies)."},
	{"SMTP_URL", "", "Mail relay for notifications: smtp://user:pass@host:587 (STARTTLS), smtps://user:pass@host:465 (TLS), or smtp://127.0.0.1:25 for a relay on this machine. Unset: no mail."},
	{"MAIL_FROM", "", "Sender of notification mail, e.g. Field Notes <blog@example.com>. Required with SMTP_URL."},
	{"OWNER_EMAIL", "", "The owner's address: a message for each held comment (see OWNER_NOTIFY)."},
	{"OWNER_NOTIFY", "held", "held: mail the owner about held comments; all: also about every new comment; off: never."},
	{"OWNER_DIGEST", "0", "0: each owner message at once; a duration (e.g. 30m): at most one message per period, gathering what happened meanwhile."},
	{"MAIL_PER_HOUR", "6", "Messages one address receives in an hour at most; later ones wait and go together."},
	{"NEWSLETTER", "full", "Posts by email (readers subscribe when SMTP_URL is set): full sends each new post whole; summary its summary and a link."},
	{"MAIL_PER_MINUTE", "600", "Post mails sent a minute at most, across instances (a post to 10,000 subscribers takes 10,000/MAIL_PER_MINUTE minutes)."},
	{"WEBHOOK_URL", "", "When set, new and held comments are POSTed there as JSON, signed (X-Blog-Signature) with WEBHOOK_SECRET."},
	{"WEBHOOK_SECRET", "", "Key (16+ characters) of the webhook's HMAC-SHA256 signature. Required with WEBHOOK_URL."},
	{"NOTIFY_RETRY", "30s", "Wait before retrying a failed mail or webhook; it doubles each time up to an hour, 12 tries in all."},
	{"PURGE_AFTER", "30", "Days after which deleted comments, and posts deleted in the desk, are removed for good."},
	{"COMMENTS_CLOSE_AFTER", "0", "Close every post to new comments this many days after its date (or a duration such as 36h); 0: never. The console and web posts open|close decide per post."},
	{"UPLOAD_MAX_SIZE", "10MiB", "Largest image the owner may upload: bytes, or a number with KiB, MiB or GiB (at most 256MiB)."},
	{"UPLOAD_MAX_PIXELS", "50000000", "Most pixels (width times height) an uploaded image may have, read from its header before anything is decoded."},
	{"UPLOAD_MAX_COUNT", "10000", "Most images the blog stores."},
	{"UPLOAD_MAX_TOTAL", "2GiB", "Most bytes all stored images may take together (KiB, MiB or GiB)."},
	{"WEBMENTION", "on", "on: receive Webmentions at /webmention (verified in the background, screened like comments); off: neither advertised nor received."},
	{"WEBMENTION_RATE", "5/1m", "Webmentions per client IP: BURST/INTERVAL, or off."},
	{"WEBMENTION_ALLOW_PRIVATE", "false", "true lets Webmention fetches reach loopback, private and link-local addresses. For tests on one machine only: never in production."},
	{"ACTIVITYPUB", "off", "on: the blog is an ActivityPub actor (@ACTIVITYPUB_USERNAME@host): followed from Mastodon and the rest, posts delivered to followers, replies taken as comments. Needs BASE_URL."},
	{"ACTIVITYPUB_USERNAME", "blog", "The actor's name: followers find the blog as @NAME@host (letters, digits and _)."},
	{"ACTIVITYPUB_RATE", "60/1m", "Activities one server may post to the inbox: BURST/INTERVAL, or off."},
	{"ACTIVITYPUB_MOVED_TO", "", "Moving the blog: on the OLD address, the new account's actor (https://NEWHOST/ap/actor). The old account says it moved and tells every follower once (Move); their servers follow the new one."},
	{"ACTIVITYPUB_ALSO_KNOWN_AS", "", "Moving the blog: on the NEW address, the old account's actor (https://OLDHOST/ap/actor), which servers check before they follow the move."},
	{"ACTIVITYPUB_ALLOW_PRIVATE", "false", "true lets ActivityPub reach actors and inboxes at loopback, private and link-local addresses. For tests on one machine only: never in production."},
	{"METRICS", "true", "Keep Prometheus metrics (false to turn off). They are private: see METRICS_ADDR and METRICS_TOKEN."},
	{"METRICS_ADDR", "", "When set (e.g. 127.0.0.1:9464), serves /metrics on that private address."},
	{"METRICS_TOKEN", "", "When set, /metrics is also served on the public port, to requests with Authorization: Bearer TOKEN."},
	{"PPROF_ADDR", "", "When set (e.g. 127.0.0.1:6060), serves Go's pprof profiles there, for profiling, in a build made with make build-pprof (-tags pprof). Keep it private."},
}

// Config is the parsed environment.
type Config struct {
	DatabaseURL string
	Addr        string
	ContentDir  string
	// AssetsDir is where the static files are read from ("": the ones built in).
	AssetsDir    string
	AutoMigrate  bool
	SiteTitle    string
	SiteAuthor   string
	Site         handlers.Site
	BaseURL      string
	LogFormat    string
	LogLevel     string
	SecretKey    string
	Metrics      bool
	MetricsToken string
	MetricsAddr  string
	PprofAddr    string
	Trusted      []netip.Prefix
	RateLimit    limits.Rate
	MaxConns     int
	MaxPerClient int
	MaxStreams   int
	Moderation   moderation.Mode
	Rules        spam.Rules
	FormMaxAge   time.Duration
	EditWindow   time.Duration
	PurgeAfter   time.Duration
	// CloseAfter is COMMENTS_CLOSE_AFTER: how long after its date a post takes comments (0: for ever).
	CloseAfter time.Duration
	// Uploads bound the owner's image uploads (UPLOAD_*).
	Uploads uploads.Limits
	// Webmention is WEBMENTION=on; WebmentionRate bounds one client's requests; WebmentionPrivate lets fetches
	// reach non-public addresses (tests only).
	Webmention        bool
	WebmentionRate    limits.Rate
	WebmentionPrivate bool
	// ActivityPub is ACTIVITYPUB=on, with the actor's name, one server's rate at the inbox, and whether its
	// fetches and deliveries may reach non-public addresses (tests only).
	ActivityPub         bool
	ActivityPubUsername string
	ActivityPubRate     limits.Rate
	ActivityPubPrivate  bool
	// ActivityPubMovedTo and ActivityPubAlsoKnownAs move the account to another address (see the README).
	ActivityPubMovedTo, ActivityPubAlsoKnownAs string
	Notify                                     Notify
}

// Notify is what notifications are configured to do.
type Notify struct {
	SMTP        *mailrelay.SMTP
	From        string
	OwnerEmail  string
	OwnerNotify string
	Digest      time.Duration
	PerHour     int
	// Newsletter is "full" or "summary" (NEWSLETTER); PerMinute bounds the post mails sent a minute.
	Newsletter    string
	PerMinute     int
	WebhookURL    string
	WebhookSecret string
	Retry         time.Duration
}

// Load reads every setting through getenv (an unset or empty variable takes its default) and checks it; the
// error names the variable and says what it wants.
func Load(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, s := range Settings {
			if s.Name == name {
				return s.Default
			}
		}
		return ""
	}
	cfg := Config{
		DatabaseURL: get("DATABASE_URL"),
		ContentDir:  get("CONTENT_DIR"),
		AssetsDir:   get("ASSETS_DIR"),
		SiteTitle:   get("SITE_TITLE"),
		SiteAuthor:  get("SITE_AUTHOR"),
		BaseURL:     strings.TrimRight(get("BASE_URL"), "/"),
		LogFormat:   get("LOG_FORMAT"),
		LogLevel:    get("LOG_LEVEL"),
	}
	port := get("PORT")
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return cfg, fmt.Errorf("PORT=%q is not a port number", port)
	}
	cfg.Addr = ":" + port
	cfg.Site = handlers.Site{Title: cfg.SiteTitle, Author: cfg.SiteAuthor, Tagline: get("SITE_TAGLINE"),
		Description: get("SITE_DESCRIPTION"), Footer: get("SITE_FOOTER"), Image: get("SITE_IMAGE")}
	lang, err := language.Parse(get("SITE_LANG"))
	if err != nil || len(get("SITE_LANG")) > 35 {
		return cfg, fmt.Errorf("SITE_LANG=%q is not a language tag (BCP 47, such as de, pt-BR or zh-Hans)", get("SITE_LANG"))
	}
	cfg.Site.Lang = lang.String()
	if img := cfg.Site.Image; img != "" && !strings.HasPrefix(img, "/") && !strings.HasPrefix(img, "https://") && !strings.HasPrefix(img, "http://") {
		return cfg, fmt.Errorf("SITE_IMAGE=%q: want a path on the blog such as /media/card.png, or a full address", img)
	}
	if a := get("ADDR"); a != "" {
		cfg.Addr = a
	}
	auto, err := strconv.ParseBool(get("AUTO_MIGRATE"))
	if err != nil {
		return cfg, fmt.Errorf("AUTO_MIGRATE=%q: want true or false", getenv("AUTO_MIGRATE"))
	}
	cfg.AutoMigrate = auto
	if cfg.Metrics, err = strconv.ParseBool(get("METRICS")); err != nil {
		return cfg, fmt.Errorf("METRICS=%q: want true or false", getenv("METRICS"))
	}
	cfg.MetricsToken = get("METRICS_TOKEN")
	cfg.MetricsAddr = get("METRICS_ADDR")
	cfg.PprofAddr = get("PPROF_ADDR")
	cfg.SecretKey = get("SECRET_KEY")
	if cfg.SecretKey != "" && len(cfg.SecretKey) < 32 {
		return cfg, errors.New("SECRET_KEY must be at least 32 characters")
	}
	if cfg.Trusted, err = clientip.ParseTrusted(get("TRUSTED_PROXIES")); err != nil {
		return cfg, err
	}
	if cfg.RateLimit, err = limits.ParseRate("RATE_LIMIT", get("RATE_LIMIT")); err != nil {
		return cfg, err
	}
	switch get("WEBMENTION") {
	case "on":
		cfg.Webmention = true
	case "off":
	default:
		return cfg, fmt.Errorf("WEBMENTION=%q: want on or off", get("WEBMENTION"))
	}
	if cfg.WebmentionRate, err = limits.ParseRate("WEBMENTION_RATE", get("WEBMENTION_RATE")); err != nil {
		return cfg, err
	}
	if cfg.WebmentionPrivate, err = strconv.ParseBool(get("WEBMENTION_ALLOW_PRIVATE")); err != nil {
		return cfg, fmt.Errorf("WEBMENTION_ALLOW_PRIVATE=%q: want true or false", get("WEBMENTION_ALLOW_PRIVATE"))
	}
	switch get("ACTIVITYPUB") {
	case "on":
		cfg.ActivityPub = true
	case "off":
	default:
		return cfg, fmt.Errorf("ACTIVITYPUB=%q: want on or off", get("ACTIVITYPUB"))
	}
	cfg.ActivityPubUsername = get("ACTIVITYPUB_USERNAME")
	if !validUsername(cfg.ActivityPubUsername) {
		return cfg, fmt.Errorf("ACTIVITYPUB_USERNAME=%q: want 1 to 30 letters, digits or _", cfg.ActivityPubUsername)
	}
	if cfg.ActivityPubRate, err = limits.ParseRate("ACTIVITYPUB_RATE", get("ACTIVITYPUB_RATE")); err != nil {
		return cfg, err
	}
	if cfg.ActivityPubPrivate, err = strconv.ParseBool(get("ACTIVITYPUB_ALLOW_PRIVATE")); err != nil {
		return cfg, fmt.Errorf("ACTIVITYPUB_ALLOW_PRIVATE=%q: want true or false", get("ACTIVITYPUB_ALLOW_PRIVATE"))
	}
	for _, v := range []struct {
		name string
		to   *string
	}{{"ACTIVITYPUB_MOVED_TO", &cfg.ActivityPubMovedTo}, {"ACTIVITYPUB_ALSO_KNOWN_AS", &cfg.ActivityPubAlsoKnownAs}} {
		*v.to = get(v.name)
		if u, err := url.Parse(*v.to); *v.to != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
			return cfg, fmt.Errorf("%s=%q: want the other account's actor address, such as https://blog.example/ap/actor", v.name, *v.to)
		}
	}
	for _, n := range []struct {
		name string
		to   *int
		min  int
	}{{"MAX_CONNS_PER_CLIENT", &cfg.MaxPerClient, 2}, {"MAX_STREAMS_PER_CLIENT", &cfg.MaxStreams, 1}, {"MAX_CONNECTIONS", &cfg.MaxConns, 16}} {
		v := get(n.name)
		if v == "" {
			continue
		}
		if *n.to, err = strconv.Atoi(v); err != nil || *n.to < n.min {
			return cfg, fmt.Errorf("%s=%q: want a whole number of at least %d", n.name, v, n.min)
		}
	}
	if cfg.Uploads, err = parseUploads(get); err != nil {
		return cfg, err
	}
	if cfg.Moderation, err = moderation.ParseMode(get("MODERATION")); err != nil {
		return cfg, err
	}
	secs, err := strconv.Atoi(get("SPAM_MIN_SECONDS"))
	if err != nil || secs < 0 || secs > 600 {
		return cfg, fmt.Errorf("SPAM_MIN_SECONDS=%q: want a number of seconds from 0 to 600", get("SPAM_MIN_SECONDS"))
	}
	cfg.Rules = spam.Rules{Stamps: true, MinAge: time.Duration(secs) * time.Second, Words: spam.ParseWords(get("SPAM_WORDS"))}
	if l := get("LINK_LIMIT"); l != "off" {
		if cfg.Rules.MaxLinks, err = strconv.Atoi(l); err != nil || cfg.Rules.MaxLinks < 1 {
			return cfg, fmt.Errorf("LINK_LIMIT=%q: want a number of at least 1, or off", l)
		}
	}
	if cfg.FormMaxAge, err = time.ParseDuration(get("FORM_MAX_AGE")); err != nil || cfg.FormMaxAge < time.Minute {
		return cfg, fmt.Errorf("FORM_MAX_AGE=%q: want a duration of at least 1m, such as 24h", get("FORM_MAX_AGE"))
	}
	if cfg.EditWindow, err = time.ParseDuration(get("EDIT_WINDOW")); err != nil || cfg.EditWindow < time.Minute || cfg.EditWindow > 7*24*time.Hour {
		return cfg, fmt.Errorf("EDIT_WINDOW=%q: want a duration from 1m to 168h, such as 15m", get("EDIT_WINDOW"))
	}
	days, err := strconv.Atoi(get("PURGE_AFTER"))
	if err != nil || days < 1 || days > 3650 {
		return cfg, fmt.Errorf("PURGE_AFTER=%q: want a number of days from 1 to 3650", get("PURGE_AFTER"))
	}
	cfg.PurgeAfter = time.Duration(days) * 24 * time.Hour
	if cfg.CloseAfter, err = parseCloseAfter(get("COMMENTS_CLOSE_AFTER")); err != nil {
		return cfg, err
	}
	if cfg.Notify, err = loadNotify(get); err != nil {
		return cfg, err
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return cfg, fmt.Errorf("LOG_FORMAT=%q: want text or json", cfg.LogFormat)
	}
	return cfg, nil
}

// loadNotify reads the settings of notifications (mail and webhooks).
func loadNotify(get func(string) string) (Notify, error) {
	n := Notify{OwnerNotify: get("OWNER_NOTIFY"), WebhookURL: get("WEBHOOK_URL"), WebhookSecret: get("WEBHOOK_SECRET")}
	var err error
	fromSetting := get("MAIL_FROM")
	if u := get("SMTP_URL"); u != "" {
		if n.SMTP, err = mailrelay.ParseSMTPURL(u); err != nil {
			return n, err
		}
		from, err := mail.ParseAddress(fromSetting)
		if err != nil {
			return n, fmt.Errorf("MAIL_FROM=%q: want an address such as Field Notes <blog@example.com> (required with SMTP_URL)", fromSetting)
		}
		n.From = from.String()
	}
	if e := get("OWNER_EMAIL"); e != "" {
		addr, err := mail.ParseAddress(e)
		if err != nil {
			return n, fmt.Errorf("OWNER_EMAIL=%q: want an address such as you@example.com", e)
		}
		n.OwnerEmail = strings.ToLower(addr.Address)
	}
	switch n.OwnerNotify {
	case "held", "all", "off":
	default:
		return n, fmt.Errorf("OWNER_NOTIFY=%q: want held, all or off", n.OwnerNotify)
	}
	if n.Digest, err = time.ParseDuration(get("OWNER_DIGEST")); err != nil || n.Digest < 0 || n.Digest > 7*24*time.Hour {
		if d := get("OWNER_DIGEST"); d != "0" {
			return n, fmt.Errorf("OWNER_DIGEST=%q: want 0 or a duration such as 30m", d)
		}
		n.Digest = 0
	}
	if n.PerHour, err = strconv.Atoi(get("MAIL_PER_HOUR")); err != nil || n.PerHour < 1 || n.PerHour > 1000 {
		return n, fmt.Errorf("MAIL_PER_HOUR=%q: want a number from 1 to 1000", get("MAIL_PER_HOUR"))
	}
	if n.Newsletter = get("NEWSLETTER"); n.Newsletter != "full" && n.Newsletter != "summary" {
		return n, fmt.Errorf("NEWSLETTER=%q: want full or summary", n.Newsletter)
	}
	if n.PerMinute, err = strconv.Atoi(get("MAIL_PER_MINUTE")); err != nil || n.PerMinute < 1 || n.PerMinute > 60000 {
		return n, fmt.Errorf("MAIL_PER_MINUTE=%q: want a number from 1 to 60000", get("MAIL_PER_MINUTE"))
	}
	if n.WebhookURL != "" {
		u, err := url.Parse(n.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return n, fmt.Errorf("WEBHOOK_URL=%q: want an http:// or https:// address", n.WebhookURL)
		}
		if len(n.WebhookSecret) < 16 {
			return n, errors.New("WEBHOOK_SECRET must be at least 16 characters (it signs every webhook)")
		}
	}
	if n.Retry, err = time.ParseDuration(get("NOTIFY_RETRY")); err != nil || n.Retry < 10*time.Millisecond || n.Retry > time.Hour {
		return n, fmt.Errorf("NOTIFY_RETRY=%q: want a duration from 10ms to 1h, such as 30s", get("NOTIFY_RETRY"))
	}
	return n, nil
}

// parseCloseAfter reads COMMENTS_CLOSE_AFTER: a number of days, or a duration (36h), from a minute to a century;
// 0 never closes.
func parseCloseAfter(v string) (time.Duration, error) {
	if v == "0" || v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if days, derr := strconv.Atoi(v); derr == nil {
		d, err = time.Duration(days)*24*time.Hour, nil
	}
	if err != nil || d < time.Minute || d > 100*365*24*time.Hour {
		return 0, fmt.Errorf("COMMENTS_CLOSE_AFTER=%q: want a number of days (such as 90), a duration (such as 36h), or 0 for never", v)
	}
	return d, nil
}

// parseUploads reads the UPLOAD_* bounds.
func parseUploads(get func(string) string) (uploads.Limits, error) {
	var lim uploads.Limits
	size, err := parseBytes("UPLOAD_MAX_SIZE", get("UPLOAD_MAX_SIZE"), 256<<20)
	if err != nil {
		return lim, err
	}
	total, err := parseBytes("UPLOAD_MAX_TOTAL", get("UPLOAD_MAX_TOTAL"), 1<<50)
	if err != nil {
		return lim, err
	}
	lim.MaxBytes, lim.MaxTotal = int(size), total
	for _, n := range []struct {
		name string
		to   *int
	}{{"UPLOAD_MAX_PIXELS", &lim.MaxPixels}, {"UPLOAD_MAX_COUNT", &lim.MaxCount}} {
		v := get(n.name)
		if *n.to, err = strconv.Atoi(v); err != nil || *n.to < 1 {
			return lim, fmt.Errorf("%s=%q: want a whole number of at least 1", n.name, v)
		}
	}
	return lim, nil
}

// parseBytes reads a number of bytes, with an optional KiB, MiB or GiB, from 1 to max.
func parseBytes(name, v string, max int64) (int64, error) {
	num, mult := v, int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if rest, ok := strings.CutSuffix(v, suffix); ok {
			num, mult = strings.TrimSpace(rest), m
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n > max/mult {
		return 0, fmt.Errorf("%s=%q: want a number of bytes from 1 to %d, or a number with KiB, MiB or GiB", name, v, max)
	}
	return n * mult, nil
}

// validUsername reports an ActivityPub username that every server takes: 1 to 30 ASCII letters, digits or _.
func validUsername(s string) bool {
	if s == "" || len(s) > 30 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}
