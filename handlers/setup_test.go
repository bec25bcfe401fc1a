package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-rel/rel/where"
	"github.com/gofiber/fiber/v2"

	"blog/assets"
	"blog/clientip"
	"blog/content"
	"blog/database"
	"blog/desk"
	"blog/handlers"
	"blog/i18n"
	"blog/internal/dbtest"
	"blog/limits"
	"blog/live"
	"blog/moderation"
	"blog/owner"
	"blog/publish"
	"blog/reactions"
	"blog/repo"
	"blog/repo/accounts"
	"blog/repo/discussion"
	"blog/repo/posts"
	"blog/repo/review"
	"blog/repo/searchindex"
	"blog/repo/tallies"
	uploadstore "blog/repo/uploads"
	"blog/repo/writing"
	"blog/search"
	"blog/uploads"
)

// testApp is the real router over a real, migrated SQLite file with the sample content.
type testApp struct {
	// csrfCookie and csrfToken are a visitor's CSRF pair, fetched from a page once.
	csrfCookie, csrfToken string
	app                   *fiber.App
	db                    *database.DB
	store                 *review.Comments
	broker                *live.Broker
	mod                   *moderation.Service
	done                  chan struct{}
	slug                  string
}

type appOption func(*handlers.Config)

// testAvatarKey is the site's avatar key in these tests.
var testAvatarKey = []byte("test avatar key 0123")

func newTestApp(t testing.TB, opts ...appOption) *testApp {
	t.Helper()
	return newTestAppOn(t, dbtest.SQLite(t), opts...)
}

func newTestAppOn(t testing.TB, db *database.DB, opts ...appOption) *testApp {
	t.Helper()
	return newTestAppReloading(t, db, true, opts...)
}

// newTestAppReloading is newTestAppOn whose content is read again after a change in the desk's feed only when
// reload is set: without it, what a test sees of a desk post's change came in the change's own transaction.
func newTestAppReloading(t testing.TB, db *database.DB, reload bool, opts ...appOption) *testApp {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	writer := &desk.Service{Store: writing.New(db)}
	index := searchindex.New(db)
	site, err := publish.Open(ctx, content.Embedded(), posts.NewPosts(db), log, publish.WithDesk(writer),
		publish.OnLoad(func(ctx context.Context, snap *publish.Snapshot) error { return search.IndexSnapshot(ctx, index, snap) }))
	if err != nil {
		t.Fatal(err)
	}
	writer.FileSlug, writer.FilePage, writer.Library = site.FileSlug, site.FilePage, site.Library
	store := review.NewComments(db, discussion.AvatarKey(testAvatarKey))
	stamps, err := store.PostStamps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	starts := map[int64]int64{}
	for id, st := range stamps {
		starts[id] = st.Seq
	}
	postNames := &testPosts{Store: site}
	broker := live.New(store, postNames, starts, log)
	broker.OnChange(func(_ int64, msgs []live.Message) {
		if reload && live.HasContent(msgs) {
			site.ReloadForChange(ctx)
		}
	})
	site.OnDifference(broker.Announce)
	key := []byte("test-key-test-key-test-key-0123")
	mod := &moderation.Service{Comments: store, BanStore: review.NewBans(db), Hasher: clientip.NewHasher(key),
		Mode: moderation.ModeOff}
	db.OnCommit(broker.Poke)
	done := make(chan struct{})
	set, err := assets.NewSet(assets.FS())
	if err != nil {
		t.Fatal(err)
	}
	cfg := handlers.Config{Content: site, Comments: store, Broker: broker, Moderation: mod, Assets: set,
		Reactions: &reactions.Service{Store: tallies.New(db), Bans: mod.BanStore, Authors: discussion.NewComments(db), Hasher: clientip.NewHasher(key)},
		Chrome:    handlers.SiteChrome(handlers.Site{Title: "Test Blog"}, "http://blog.test", set), Log: log, Done: done,
		Keys: handlers.Keys{CSRF: key, Authorship: key, Address: key, Avatar: testAvatarKey}, Desk: writer, PurgeAfter: 30 * 24 * time.Hour,
		Uploads: uploads.New(uploadstore.New(db), uploads.Limits{}, uploads.CheckUse(writer.ImageUsers)), Search: search.New(index, site)}
	for _, o := range opts {
		o(&cfg)
	}
	postNames.site = i18n.Shipped().For(cfg.Chrome.Lang)
	if st, ok := cfg.Content.(*publish.Store); ok {
		postNames.Store = st // the content an option chose names the posts
	}
	own, err := owner.New(owner.Config{Store: accounts.NewOwner(db), Audit: repo.NewAudit(db), Key: key, SiteTitle: "Test Blog",
		BaseURL: cfg.Chrome.BaseURL, Log: log, FailureDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Owner, cfg.Posts, cfg.Audit = own, posts.NewPosts(db), repo.NewAudit(db)
	app, err := handlers.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The broker and the change watcher run as serve runs them.
	bctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{}, 3)
	watching := make(chan struct{})
	go func() { broker.Run(bctx); stopped <- struct{}{} }()
	go func() { site.RunSchedule(bctx); stopped <- struct{}{} }()
	go func() {
		db.WatchChanges(bctx, broker.Poke, broker.Resync, func() { close(watching) })
		stopped <- struct{}{}
	}()
	t.Cleanup(func() { cancel(); <-stopped; <-stopped; <-stopped })
	select {
	case <-watching:
	case <-time.After(30 * time.Second):
		t.Fatal("the change watcher did not start")
	}
	return &testApp{app: app, db: db, store: store, broker: broker, mod: mod, done: done, slug: site.Library().Posts[0].Slug}
}

// testPosts names posts for the broker and gives their language, as cmd/web's does: the post's own, or the
// blog's (set from the options before anything renders).
type testPosts struct {
	*publish.Store
	site *i18n.Locale
}

func (p *testPosts) Locale(postID int64) *i18n.Locale {
	if lang := p.Lang(postID); lang != "" {
		return i18n.Shipped().For(lang)
	}
	return p.site
}

// do sends a request through the real router and returns the status and parsed body.
func (a *testApp) do(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := a.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// page fetches a page that must answer 200 and returns its body.
func (a *testApp) page(t testing.TB, path string) string {
	t.Helper()
	resp, body := a.get(t, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", path, resp.StatusCode)
	}
	return body
}

func (a *testApp) get(t testing.TB, path string) (*http.Response, string) {
	return a.do(t, httpReq(http.MethodGet, path, nil))
}

func httpReq(method, path string, form url.Values) *http.Request {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

// visitor returns the CSRF cookie and token a public page hands out: none any more (the public pages are the
// same for every reader; cross-site posts are refused from the browser's Sec-Fetch-Site and Origin headers).
func (a *testApp) visitor(t testing.TB) (cookie, token string) {
	t.Helper()
	resp, body := a.get(t, "/posts/hello-world")
	for _, c := range resp.Cookies() {
		if c.Name == "csrf_id" {
			t.Fatal("a public page set a CSRF cookie: it would make the page personal")
		}
	}
	if doc(t, body).Find(`meta[name="csrf-token"], input[name="_csrf"]`).Length() > 0 {
		t.Fatal("a public page carries a per-visitor token")
	}
	return "", ""
}

// postComment posts the form as a browser would: htmx sends the token in a header, a plain form in a field.
func (a *testApp) postComment(t testing.TB, slug string, form url.Values, htmx bool) (*http.Response, string) {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	req := httpReq(http.MethodPost, "/posts/"+slug+"/comments", f)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	resp, body := a.do(t, req)
	a.settle(t)
	return resp, body
}

func (a *testApp) countComments(t testing.TB) int {
	t.Helper()
	n, err := a.db.Repo().Count(context.Background(), "comments")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// serve runs the app on a free loopback port and returns its base URL.
func (a *testApp) serve(t testing.TB) string {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The listener the program serves with: budgets, and closes that let a client read a refusal.
	ln := limits.NewListener(raw, limits.ListenerConfig{})
	a.app.Server().ConnState = ln.ConnState
	go a.app.Listener(ln)
	t.Cleanup(func() {
		select {
		case <-a.done:
		default:
			close(a.done)
		}
		a.app.ShutdownWithTimeout(5 * time.Second)
	})
	return "http://" + ln.Addr().String()
}

func doc(t testing.TB, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func form(username, email, body string) url.Values {
	return url.Values{"username": {username}, "email": {email}, "body": {body}}
}

func strconvItoa(n int64) string { return strconv.FormatInt(n, 10) }

// authorize adds a visitor's CSRF cookie and header to a hand-made request.
func (a *testApp) authorize(t testing.TB, req *http.Request) {
	cookie, token := a.visitor(t)
	req.AddCookie(&http.Cookie{Name: "csrf_id", Value: cookie})
	req.Header.Set("X-CSRF-Token", token)
}

func (a *testApp) postID(t testing.TB, slug string) int64 {
	var p repo.Post
	if err := a.db.Repo().Find(context.Background(), &p, where.Eq("slug", slug)); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// settle waits until the broker has handed every change of every post to the lists: an htmx post answers before
// that (its answer carries the comment), so a test that reads the page as another reader waits for it.
func (a *testApp) settle(t testing.TB) {
	t.Helper()
	stamps, err := a.store.PostStamps(context.Background())
	if err != nil {
		return // the database is gone (a test of outages): nothing to wait for
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for id, st := range stamps {
		a.broker.Sync(ctx, id, st.Seq)
	}
}
