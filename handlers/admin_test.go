package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blog/handlers"
	"blog/handlers/signin"
	"blog/internal/dbtest"
	"blog/moderation"
	"blog/owner"
	"blog/repo"
	"blog/repo/accounts"
	"blog/repo/review"
)

// client is one browser: it keeps the cookies it is given and the token its last page carried.
type client struct {
	a       *testApp
	cookies map[string]string
	token   string
	// stamp is the comment form's signed timestamp from the last page.
	stamp string
}

func (a *testApp) newClient() *client { return &client{a: a, cookies: map[string]string{}} }

// do sends req with the client's cookies and keeps the ones the answer sets.
func (c *client) do(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, body := c.a.do(t, req)
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if tok, ok := doc(t, body).Find(`meta[name="csrf-token"]`).Attr("content"); ok {
		c.token = tok
	}
	if st, ok := doc(t, body).Find(`input[name="_t"]`).Attr("value"); ok {
		c.stamp = st
	}
	return resp, body
}

// page fetches a page that must answer 200 and returns its body.
func (c *client) page(t testing.TB, path string) string {
	t.Helper()
	resp, body := c.get(t, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", path, resp.StatusCode)
	}
	return body
}

func (c *client) get(t testing.TB, path string) (*http.Response, string) {
	return c.do(t, httpReq(http.MethodGet, path, nil))
}

// post sends a form with the client's token, as a plain form (htmx false) or through htmx.
func (c *client) post(t testing.TB, path string, form url.Values, htmx bool) (*http.Response, string) {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("_csrf", c.token)
	req := httpReq(http.MethodPost, path, f)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", c.token)
	}
	return c.do(t, req)
}

// comment posts a comment on the test post as this client, with htmx.
func (c *client) comment(t testing.TB, name, email, body string) (*http.Response, string) {
	t.Helper()
	if c.token == "" {
		c.get(t, "/posts/"+c.a.slug)
	}
	f := form(name, email, body)
	f.Set("_t", c.stamp)
	resp, out := c.post(t, "/posts/"+c.a.slug+"/comments", f, true)
	c.a.settle(t)
	return resp, out
}

const testPassword = "a long and proper password"

// owner signs in as the owner with a password (set directly in the database) and returns the browser.
func (a *testApp) owner(t testing.TB) *client {
	t.Helper()
	hash, err := owner.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := accounts.NewOwner(a.db).SetPassword(context.Background(), hash, repo.Action{Actor: repo.ActorCLI, Name: "set-password"}); err != nil {
		t.Fatal(err)
	}
	o := a.newClient()
	o.get(t, "/admin/login")
	resp, _ := o.post(t, "/admin/login", url.Values{"password": {testPassword}}, false)
	if resp.StatusCode != http.StatusSeeOther || o.cookies[signin.SessionCookie] == "" {
		t.Fatalf("sign-in: status %d, cookies %v", resp.StatusCode, o.cookies)
	}
	if resp, _ := o.get(t, "/admin"); resp.StatusCode != 200 {
		t.Fatalf("console after sign-in: %d", resp.StatusCode)
	}
	return o
}

// open lists the /admin routes anyone may use: signing in and the one-time setup.
var openAdmin = map[string]bool{
	"GET /admin/login": true, "POST /admin/login": true, "POST /admin/login/passkey/begin": true,
	"POST /admin/login/passkey/finish": true, "GET /admin/setup": true, "POST /admin/setup": true,
	"POST /admin/setup/passkey/begin": true, "POST /admin/setup/passkey/finish": true,
	"HEAD /admin/login": true, "HEAD /admin/setup": true,
}

// TestEveryAdminRouteNeedsTheOwner walks every registered route under /admin and checks that, without the
// owner's session (none, a made-up one, or one that was signed out), a page request is sent to the sign-in page
// and anything else gets 401, with nothing changed.
func TestEveryAdminRouteNeedsTheOwner(t *testing.T) {
	db := dbtest.SQLite(t)
	a := newTestAppOn(t, db, withPeople(db)) // every optional part on, so every /admin route is registered
	o := a.owner(t)
	stale := o.cookies[signin.SessionCookie]
	if resp, _ := o.post(t, "/admin/logout", nil, false); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	a.newClient().comment(t, "Ann", "ann@example.com", "keep me")
	checked := 0
	seen := map[string]bool{}
	for _, r := range a.app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/admin") || openAdmin[r.Method+" "+r.Path] {
			continue
		}
		seen[r.Method+" "+r.Path] = true
		path := strings.NewReplacer(":id", "1", "*", "anything").Replace(r.Path)
		for name, cookie := range map[string]string{"no session": "", "made-up session": strings.Repeat("A", 43), "signed out": stale} {
			for _, htmx := range []bool{false, true} {
				req := httpReq(r.Method, path, url.Values{"action": {"delete"}, "id": {"1"}, "kind": {"email"}, "value": {"x@y.org"}})
				if cookie != "" {
					req.AddCookie(&http.Cookie{Name: signin.SessionCookie, Value: cookie})
				}
				if htmx {
					req.Header.Set("HX-Request", "true")
				}
				resp, _ := a.do(t, req)
				want := http.StatusUnauthorized
				if r.Method == http.MethodGet && !htmx {
					want = http.StatusSeeOther
					if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/admin/login?next=") {
						t.Errorf("%s %s (%s): redirect to %q, want the sign-in page", r.Method, path, name, loc)
					}
				}
				if r.Method == http.MethodHead && !htmx {
					want = http.StatusSeeOther
				}
				if resp.StatusCode != want {
					t.Errorf("%s %s (%s, htmx %v): status %d, want %d", r.Method, path, name, htmx, resp.StatusCode, want)
				}
				checked++
			}
		}
	}
	if checked < 12*6 {
		t.Fatalf("checked only %d requests: are the /admin routes registered?", checked)
	}
	for _, r := range []string{"GET /admin/people", "POST /admin/people/erase", "GET /admin/uploads", "POST /admin/uploads",
		"POST /admin/uploads/:name/delete"} {
		if !seen[r] {
			t.Errorf("%s was not checked: is it registered in this test's app?", r)
		}
	}
	if n := a.countComments(t); n != 1 {
		t.Fatalf("%d comments after the refused requests, want 1", n)
	}
	var c repo.Comment
	a.db.Repo().Find(context.Background(), &c)
	if c.State != repo.StatePublished {
		t.Fatalf("comment state %q after refused requests", c.State)
	}
	if bans, _ := review.NewBans(a.db).List(context.Background()); len(bans) != 0 {
		t.Fatalf("bans added by refused requests: %+v", bans)
	}
}

func TestOwnerSignInWithPassword(t *testing.T) {
	a := newTestApp(t)
	o := a.owner(t) // sets the password and signs in once
	sessionCookie := o.cookies[signin.SessionCookie]

	// The cookie's attributes, and the session stored only as a hash.
	v := a.newClient()
	v.get(t, "/admin/login")
	resp, body := v.post(t, "/admin/login", url.Values{"password": {"not the password"}}, false)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not right") || v.cookies[signin.SessionCookie] != "" {
		t.Fatalf("wrong password: status %d, session %q", resp.StatusCode, v.cookies[signin.SessionCookie])
	}
	resp, _ = v.post(t, "/admin/login", url.Values{"password": {testPassword}, "next": {"/admin/audit"}}, false)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/audit" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var set *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == signin.SessionCookie {
			set = c
		}
	}
	if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteStrictMode || set.Path != "/" || set.Secure {
		t.Fatalf("session cookie = %+v; want HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP", set)
	}
	var stored []accounts.Session
	a.db.Repo().FindAll(context.Background(), &stored)
	for _, s := range stored {
		if s.TokenHash == sessionCookie || s.TokenHash == set.Value {
			t.Fatal("a session id is stored as it is, not hashed")
		}
	}
	if len(stored) != 2 {
		t.Fatalf("%d sessions stored, want 2", len(stored))
	}
	// A sign-in elsewhere does not end the first session.
	if resp, _ := o.get(t, "/admin"); resp.StatusCode != 200 {
		t.Fatalf("first session: %d", resp.StatusCode)
	}
	// Off-site redirects after sign-in are refused.
	w := a.newClient()
	w.get(t, "/admin/login")
	if resp, _ := w.post(t, "/admin/login", url.Values{"password": {testPassword}, "next": {"https://evil.example/"}}, false); resp.Header.Get("Location") != "/admin" {
		t.Fatalf("next=evil: redirect to %q", resp.Header.Get("Location"))
	}
	// The audit trail has the sign-ins.
	entries, _ := repo.NewAudit(a.db).List(context.Background(), 0, 20)
	signIns := 0
	for _, e := range entries {
		if e.Action == "sign-in" && e.Actor == repo.ActorOwner {
			signIns++
		}
	}
	if signIns != 3 {
		t.Fatalf("%d sign-ins in the audit trail, want 3", signIns)
	}
}

// With BASE_URL on https (behind a TLS proxy), the session cookie is Secure even though the proxy speaks HTTP.
func TestSecureSessionCookieBehindHTTPS(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.Chrome.BaseURL, c.SecureCookies = "https://blog.example.com", true })
	hash, _ := owner.HashPassword(testPassword)
	accounts.NewOwner(a.db).SetPassword(context.Background(), hash, repo.Action{Actor: "cli", Name: "x"})
	c := a.newClient()
	c.get(t, "/admin/login")
	f := url.Values{"password": {testPassword}, "_csrf": {c.token}}
	req := httpReq(http.MethodPost, "/admin/login", f)
	req.AddCookie(&http.Cookie{Name: "csrf_id", Value: c.cookies["csrf_id"]})
	resp, _ := a.do(t, req)
	found := false
	for _, ck := range resp.Cookies() {
		if ck.Name == signin.SessionCookie {
			found = true
			if !ck.Secure {
				t.Fatal("session cookie over HTTPS is not Secure")
			}
		}
	}
	if resp.StatusCode != http.StatusSeeOther || !found {
		t.Fatalf("sign-in over HTTPS: status %d, session cookie set: %v", resp.StatusCode, found)
	}
}

func TestSignInAttemptsAreLimited(t *testing.T) {
	a := newTestApp(t)
	a.owner(t)
	v := a.newClient()
	v.get(t, "/admin/login")
	var last int
	for range 12 {
		resp, _ := v.post(t, "/admin/login", url.Values{"password": {"guess"}}, false)
		last = resp.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("12th wrong password from one address: %d, want 429", last)
	}
	// Even the right password waits now: the limit is on attempts, not on failures.
	if resp, _ := v.post(t, "/admin/login", url.Values{"password": {testPassword}}, false); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("right password over the limit: %d (Retry-After %q)", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestSetupLinkClaimsTheBlogOnce(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	link, err := owner.NewSetupLink(ctx, accounts.NewOwner(a.db))
	if err != nil || !strings.HasPrefix(link, "/admin/setup?token=") {
		t.Fatalf("setup link %q, %v", link, err)
	}
	c := a.newClient()
	if resp, body := c.get(t, "/admin/login"); resp.StatusCode != 200 || !strings.Contains(body, "no owner yet") {
		t.Fatalf("sign-in page without an owner: %d", resp.StatusCode)
	}
	if resp, body := c.get(t, "/admin/setup?token=wrong"); resp.StatusCode != 404 || !strings.Contains(body, "not valid") {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
	if resp, _ := c.get(t, link); resp.StatusCode != 200 {
		t.Fatalf("setup page: %d", resp.StatusCode)
	}
	token := strings.TrimPrefix(link, "/admin/setup?token=")
	resp, body := c.post(t, "/admin/setup", url.Values{"token": {token}, "password": {"short"}, "password_again": {"short"}}, false)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 12") {
		t.Fatalf("short password: %d", resp.StatusCode)
	}
	resp, _ = c.post(t, "/admin/setup", url.Values{"token": {token}, "password": {testPassword}, "password_again": {testPassword}}, false)
	if resp.StatusCode != http.StatusSeeOther || c.cookies[signin.SessionCookie] == "" {
		t.Fatalf("claim: %d", resp.StatusCode)
	}
	if resp, body := c.get(t, "/admin/account?welcome=1"); resp.StatusCode != 200 || !strings.Contains(body, "Welcome") {
		t.Fatalf("account after claim: %d", resp.StatusCode)
	}
	// The link is spent: nobody else can claim the blog with it.
	other := a.newClient()
	other.get(t, "/admin/login")
	resp, body = other.post(t, "/admin/setup", url.Values{"token": {token}, "password": {"another long password"}, "password_again": {"another long password"}}, false)
	if resp.StatusCode != 404 || !strings.Contains(body, "has an owner already") || other.cookies[signin.SessionCookie] != "" {
		t.Fatalf("second claim: %d", resp.StatusCode)
	}
	if link, err := owner.NewSetupLink(ctx, accounts.NewOwner(a.db)); link != "" || err != nil {
		t.Fatalf("a setup link with an owner: %q, %v", link, err)
	}
}

// TestConsoleActsOnComments deletes, approves and restores through the console, as a plain form and with htmx,
// and checks the page, the counts, the audit trail and the form token.
func TestConsoleActsOnComments(t *testing.T) {
	a := newTestApp(t)
	reader := a.newClient()
	reader.comment(t, "Ann", "ann@example.com", "a fine comment")
	reader.comment(t, "Spammer", "spam@example.com", "buy things")
	var cs []repo.Comment
	a.db.Repo().FindAll(context.Background(), &cs)
	fine, spam := cs[0].ID, cs[1].ID
	o := a.owner(t)

	body := o.page(t, "/admin")
	if d := doc(t, body); d.Find(`[data-testid="ConsoleComment"]`).Length() != 2 || !strings.Contains(body, "spam@example.com") {
		t.Fatalf("console lists %d comments, emails shown: %v", d.Find(`[data-testid="ConsoleComment"]`).Length(), strings.Contains(body, "spam@example.com"))
	}
	// Without the form token the action is refused.
	req := httpReq(http.MethodPost, "/admin/comments", url.Values{"action": {"delete"}, "id": {itoa(spam)}})
	req.AddCookie(&http.Cookie{Name: signin.SessionCookie, Value: o.cookies[signin.SessionCookie]})
	if resp, _ := a.do(t, req); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("action without the form token: %d, want 403", resp.StatusCode)
	}
	resp, _ := o.post(t, "/admin/comments", url.Values{"one": {"delete:" + itoa(spam)}, "return": {"/admin?state=published"}}, false)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin?state=published&done=delete") {
		t.Fatalf("delete: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	page := a.newClient().page(t, "/posts/"+a.slug)
	if strings.Contains(page, "buy things") || !strings.Contains(page, "a fine comment") || !strings.Contains(page, ">1 comment<") {
		t.Fatal("the deleted comment is still on the post page, or the count is wrong")
	}
	// Bulk, with htmx: the answer is the console with a notice.
	resp, body = o.post(t, "/admin/comments", url.Values{"action": {"spam"}, "id": {itoa(fine), itoa(spam)}}, true)
	if resp.StatusCode != 200 || !strings.Contains(doc(t, body).Find(`#notice`).Text(), "2 comments changed") {
		t.Fatalf("bulk spam with htmx: %d %q", resp.StatusCode, doc(t, body).Find(`#notice`).Text())
	}
	resp, _ = o.post(t, "/admin/comments", url.Values{"action": {"restore"}}, true)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("action with nothing selected: %d, want 422", resp.StatusCode)
	}
	o.post(t, "/admin/comments", url.Values{"action": {"restore"}, "id": {itoa(fine)}}, false)
	page = a.newClient().page(t, "/posts/"+a.slug)
	if strings.Contains(page, "buy things") || !strings.Contains(page, "a fine comment") {
		t.Fatal("after restore: wrong comments on the page")
	}
	body = o.page(t, "/admin?state=spam")
	if d := doc(t, body); d.Find(`[data-testid="ConsoleComment"]`).Length() != 1 || !strings.Contains(d.Find(`[data-testid="ConsoleReason"]`).Text(), "spam") {
		t.Fatalf("spam filter: %d comments", d.Find(`[data-testid="ConsoleComment"]`).Length())
	}
	for q, want := range map[string]int{"q=FINE": 1, "email=spam%40": 1, "post=no-such": 0, "address=10.0.0.0%2F8": 0, "address=0.0.0.0": 2} {
		resp, body := o.get(t, "/admin?"+q)
		if n := doc(t, body).Find(`[data-testid="ConsoleComment"]`).Length(); n != want || (want == 0 && resp.StatusCode != http.StatusUnprocessableEntity) {
			t.Errorf("filter %s: %d comments (status %d), want %d", q, n, resp.StatusCode, want)
		}
	}
	audit := o.page(t, "/admin/audit")
	for _, action := range []string{"delete", "spam", "restore", "sign-in"} {
		if !strings.Contains(doc(t, audit).Find(`[data-testid="AuditTable"]`).Text(), action) {
			t.Errorf("audit page lacks %q", action)
		}
	}
}

// TestHeldCommentsAreShownOnlyToTheirAuthor holds every comment (MODERATION=all): the author sees theirs in
// place, marked; another reader sees nothing until the owner approves it.
func TestHeldCommentsAreShownOnlyToTheirAuthor(t *testing.T) {
	a := newTestApp(t)
	a.mod.Mode = moderation.ModeAll
	author, other := a.newClient(), a.newClient()
	resp, body := author.comment(t, "Ada", "ada@example.com", "waiting for approval")
	d := doc(t, body)
	if resp.StatusCode != 200 || d.Find(`[data-held] [data-testid="HeldNotice"]`).Length() != 1 || !strings.Contains(d.Find("#form-notice").Text(), "held for review") {
		t.Fatalf("answer to a held comment: %d %s", resp.StatusCode, body)
	}
	if d.Find(`#comment-count`).Length() != 0 {
		t.Fatal("a held comment changes the public count")
	}
	mine := author.page(t, "/posts/"+a.slug)
	if doc(t, mine).Find(`[data-held] [data-testid="CommentBody"]`).Text() == "" {
		t.Fatal("the author's page does not show their held comment")
	}
	theirs := other.page(t, "/posts/"+a.slug)
	if strings.Contains(theirs, "waiting for approval") {
		t.Fatal("another reader sees a held comment")
	}
	// A forged record of someone else's comment shows nothing.
	forged := a.newClient()
	forged.cookies["mine"] = "1.1.1!AAAA"
	if page := forged.page(t, "/posts/"+a.slug); strings.Contains(page, "waiting for approval") {
		t.Fatal("a forged authorship cookie shows a held comment")
	}
	o := a.owner(t)
	var c repo.Comment
	a.db.Repo().Find(context.Background(), &c)
	if c.State != repo.StatePending || !strings.Contains(c.Reason, "MODERATION=all") {
		t.Fatalf("held comment: state %q reason %q", c.State, c.Reason)
	}
	o.post(t, "/admin/comments", url.Values{"action": {"approve"}, "id": {itoa(c.ID)}}, false)
	theirs = other.page(t, "/posts/"+a.slug)
	if !strings.Contains(theirs, "waiting for approval") || strings.Contains(theirs, "HeldNotice") {
		t.Fatal("the approved comment is not shown to other readers, or still marked")
	}
}

func TestBannedCommentersAreHeldAsSpam(t *testing.T) {
	a := newTestApp(t)
	spammer := a.newClient()
	spammer.comment(t, "Spam", "spam@example.com", "first spam, published")
	o := a.owner(t)
	resp, _ := o.post(t, "/admin/bans", url.Values{"kind": {"email"}, "value": {"Spam@Example.com"}, "remove_past": {"1"}}, false)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "added:1") {
		t.Fatalf("ban: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := o.post(t, "/admin/bans", url.Values{"kind": {"ip"}, "value": {"10.0.0.0/8"}}, false); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "/24") {
		t.Fatalf("a /8 ban: %d", resp.StatusCode)
	}
	if resp, _ := o.post(t, "/admin/bans", url.Values{"kind": {"email"}, "value": {"spam@example.com"}}, false); resp.StatusCode != http.StatusConflict {
		t.Fatalf("the same ban twice: %d, want 409", resp.StatusCode)
	}
	_, body := spammer.comment(t, "Spam", "spam@example.com", "second spam")
	if !strings.Contains(doc(t, body).Find("#form-notice").Text(), "held for review") {
		t.Fatalf("a banned commenter's answer: %s", doc(t, body).Find("#form-notice").Text())
	}
	page := a.newClient().page(t, "/posts/"+a.slug)
	if strings.Contains(page, "spam,") || strings.Contains(page, "second spam") {
		t.Fatal("a banned commenter's comments are on the page")
	}
	var cs []repo.Comment
	a.db.Repo().FindAll(context.Background(), &cs)
	for _, c := range cs {
		if c.State != repo.StateSpam || !strings.HasPrefix(c.Reason, "banned email") {
			t.Errorf("comment %d: %s (%s)", c.ID, c.State, c.Reason)
		}
	}
	// A ban from a comment: its author's network.
	bans := o.page(t, "/admin/bans?comment="+itoa(cs[0].ID))
	if !strings.Contains(bans, "Ban the author of comment") {
		t.Fatal("the bans page does not offer to ban a comment's author")
	}
	if resp, _ := o.post(t, "/admin/bans", url.Values{"comment": {itoa(cs[0].ID)}, "kind": {"net"}}, false); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ban a comment's network: %d", resp.StatusCode)
	}
	list, _ := review.NewBans(a.db).List(context.Background())
	if len(list) != 2 || list[0].Kind != repo.BanNet || strings.Contains(list[0].Value, "0.0") {
		t.Fatalf("bans = %+v; want the network's hash, not its address", list)
	}
}

// Someone who types another commenter's email with a new name does not rename that person's comments.
func TestEarlierCommentsKeepTheirNames(t *testing.T) {
	a := newTestApp(t)
	a.newClient().comment(t, "Ada", "ada@example.com", "by the real Ada")
	a.newClient().comment(t, "Not Ada", "ada@example.com", "by someone else")
	page := a.newClient().page(t, "/posts/"+a.slug)
	names := doc(t, page).Find(`[data-testid="CommentAuthor"]`)
	if names.Length() != 2 || names.Eq(0).Text() != "Ada" || names.Eq(1).Text() != "Not Ada" {
		t.Fatalf("names on the page: %q", names.Text())
	}
}
