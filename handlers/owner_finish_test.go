package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-rel/rel/where"

	"blog/handlers"
	"blog/handlers/signin"
	"blog/internal/dbtest"
	"blog/internal/passkeytest"
	"blog/moderation"
	"blog/owner"
	"blog/repo"
	"blog/repo/accounts"
	"blog/views/console"
)

// The owner's side finished: comments marked as the owner's from the session only, replies from the console,
// the console opening on what waits, the pending count and its stream, the welcome after setup, and passkeys
// refused in words on a numeric address.

// newest returns the newest comment in the database.
func (a *testApp) newest(t testing.TB) repo.Comment {
	t.Helper()
	var cs []repo.Comment
	if err := a.db.Repo().FindAll(context.Background(), &cs); err != nil || len(cs) == 0 {
		t.Fatalf("no comments: %v", err)
	}
	return cs[len(cs)-1]
}

// badged returns the ids of the comments a rendered page or fragment shows with the author badge.
func badged(t testing.TB, html string) []string {
	t.Helper()
	var ids []string
	doc(t, html).Find(`[data-testid="AuthorBadge"]`).Each(func(_ int, b *goquery.Selection) {
		id, _ := b.Closest("[data-comment-id]").Attr("data-comment-id")
		ids = append(ids, id)
	})
	return ids
}

func TestOwnerCommentsAreMarkedFromTheSessionOnly(t *testing.T) {
	a := newTestApp(t)
	a.mod.Mode = moderation.ModeAll // every reader's comment waits; the owner's does not
	base := a.serve(t)
	stream := connectSSE(t, base+"/posts/"+a.slug+"/events?after=0", nil)
	waitStreams(t, a, 1)
	o := a.owner(t)

	// From the post's own form, signed in: published at once, marked, and answered with the badge.
	resp, body := o.comment(t, "Site Owner", "me@example.com", "Thanks for reading, all.")
	mine := a.newest(t)
	if resp.StatusCode != http.StatusOK || !mine.ByOwner || mine.State != repo.StatePublished {
		t.Fatalf("owner's comment: status %d, by owner %v, state %q", resp.StatusCode, mine.ByOwner, mine.State)
	}
	if got := badged(t, body); len(got) != 1 || got[0] != itoa(mine.ID) {
		t.Fatalf("the htmx answer marks %v, want [%d]", got, mine.ID)
	}
	// A reader typing the same name and email is a reader: held, and never marked.
	reader := a.newClient()
	reader.comment(t, "Site Owner", "me@example.com", "I am the owner, honest.")
	fake := a.newest(t)
	if fake.ByOwner || fake.State != repo.StatePending {
		t.Fatalf("reader with the owner's name and email: by owner %v, state %q", fake.ByOwner, fake.State)
	}
	a.mod.Mode = moderation.ModeOff
	reader.comment(t, "Site Owner", "me@example.com", "Published, but still not the owner.")
	fake = a.newest(t)
	if fake.ByOwner || fake.State != repo.StatePublished {
		t.Fatalf("published reader comment: by owner %v, state %q", fake.ByOwner, fake.State)
	}

	// Every way the comment is shown carries the badge, on the owner's comment only: the live events (rendered
	// from the store's comment), the page, and the list the page reloads (both kept per change).
	badges := map[int64]int{}
	for range 3 { // the owner's comment, the held one, the published one
		ev := stream.nextComment(t)
		badges[commentOf(t, ev)] += len(badged(t, ev.data))
	}
	if len(badges) != 3 || badges[mine.ID] != 1 || badges[fake.ID] != 0 {
		t.Fatalf("live events (comment: badges) %v, want only comment %d marked", badges, mine.ID)
	}
	for _, path := range []string{"/posts/" + a.slug, "/posts/" + a.slug + "/comments/fresh"} {
		if got := badged(t, a.newClient().page(t, path)); len(got) != 1 || got[0] != itoa(mine.ID) {
			t.Errorf("%s marks %v, want [%d]", path, got, mine.ID)
		}
	}

	// The comment feeds name the owner as the author, and nobody else: the reader who typed the same name is
	// just that name.
	for _, path := range []string{"/comments.xml", "/posts/" + a.slug + "/comments.xml"} {
		feed := a.newClient().page(t, path)
		if n := strings.Count(feed, "<name>Site Owner (author)</name>"); n != 1 || strings.Count(feed, "<name>Site Owner</name>") != 1 {
			t.Errorf("%s: %d entries by the owner marked, want 1 (and the reader's unmarked):\n%s", path, n, feed)
		}
	}

	// The owner's edit from the browser that posted it is not screened again: it stays published.
	a.mod.Mode = moderation.ModeAll
	resp, _ = o.post(t, "/posts/"+a.slug+"/comments/"+itoa(mine.ID), url.Values{"body": {"Thanks for reading, everyone."}}, true)
	edited, err := a.store.FindComment(context.Background(), mine.ID)
	if err != nil || resp.StatusCode != http.StatusOK || edited.State != repo.StatePublished || !edited.ByOwner {
		t.Fatalf("owner's edit: status %d, state %q, by owner %v (%v)", resp.StatusCode, edited.State, edited.ByOwner, err)
	}
	// The audit trail has it.
	entries, _ := repo.NewAudit(a.db).List(context.Background(), 0, 50)
	found := false
	for _, e := range entries {
		found = found || (e.Action == "comment" && e.Actor == repo.ActorOwner && e.CommentIDs == itoa(mine.ID))
	}
	if !found {
		t.Fatal("the owner's comment is not in the audit trail")
	}
}

func TestConsoleReplyIsPublishedAtOnceAndLive(t *testing.T) {
	a := newTestApp(t)
	a.mod.Mode = moderation.ModeAll
	base := a.serve(t)
	reader := a.newClient()
	reader.comment(t, "Ada", "ada@example.com", "Does this work without JavaScript?")
	question := a.newest(t)
	stream := connectSSE(t, base+"/posts/"+a.slug+"/events?after="+strconv.FormatInt(a.seq(t), 10), nil)
	waitStreams(t, a, 1)
	o := a.owner(t)

	// The console opens on what waits, with a reply box for it.
	page := doc(t, o.page(t, "/admin"))
	if page.Find(`[data-testid="ConsoleWaiting"]`).Length() != 1 || page.Find(`nav[aria-label="By state"] [aria-current="page"]`).Text() != "Pending (1)" {
		t.Fatalf("the console did not open on Pending: %q", page.Find(`nav[aria-label="By state"] [aria-current="page"]`).Text())
	}
	if page.Find(`#reply-form-`+itoa(question.ID)).Length() != 1 || page.Find(`textarea[form="reply-form-`+itoa(question.ID)+`"]`).Length() != 1 {
		t.Fatal("no reply form for the pending comment")
	}

	// An empty reply is refused with the reason beside the field; nothing is stored, nothing approved.
	before := a.countComments(t)
	resp, body := o.post(t, console.ConsoleReplyPath(question.ID), url.Values{"body": {"   "}, "return": {"/admin?state=pending"}}, true)
	d := doc(t, body)
	if resp.StatusCode != http.StatusUnprocessableEntity || d.Find(`[data-testid="ReplyError"]`).Length() != 1 ||
		d.Find(`#reply-`+itoa(question.ID)+`[aria-invalid="true"]`).Length() != 1 || a.countComments(t) != before {
		t.Fatalf("empty reply: status %d, %d comments (want %d)", resp.StatusCode, a.countComments(t), before)
	}
	if c, _ := a.store.FindComment(context.Background(), question.ID); c.State != repo.StatePending {
		t.Fatal("a refused reply approved the comment")
	}

	// A plain form: the reply is published at once (the question approved with it) and the console says so.
	resp, _ = o.post(t, console.ConsoleReplyPath(question.ID), url.Values{"body": {"Yes: the form posts normally."}, "return": {"/admin?state=pending"}}, false)
	reply := a.newest(t)
	want := "/admin?state=pending&done=reply:" + itoa(reply.ID)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("reply: %d to %q, want %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	reply, _ = a.store.FindComment(context.Background(), reply.ID)
	if !reply.ByOwner || reply.State != repo.StatePublished || reply.ParentID == nil || *reply.ParentID != question.ID ||
		reply.Username != "Test Blog" || reply.User.Email != moderation.OwnerEmail {
		t.Fatalf("reply stored as %+v", reply)
	}
	if c, _ := a.store.FindComment(context.Background(), question.ID); c.State != repo.StatePublished {
		t.Fatalf("the answered comment is %q, want published", c.State)
	}
	done := doc(t, o.page(t, want))
	if href, _ := done.Find(`[data-testid="RepliedLink"]`).Attr("href"); href != "/posts/"+a.slug+"#comment-"+itoa(reply.ID) {
		t.Fatalf("the notice links to %q", href)
	}
	// Readers' open pages get the approval and the reply live, the reply marked.
	got := map[int64]int{}
	for range 2 {
		ev := stream.nextComment(t)
		got[commentOf(t, ev)] = len(badged(t, ev.data))
	}
	if n, ok := got[reply.ID]; !ok || n != 1 || got[question.ID] != 0 {
		t.Fatalf("live events (comment: badges) %v, want the question and the marked reply", got)
	}
	post := a.newClient().page(t, "/posts/"+a.slug)
	if ids := badged(t, post); len(ids) != 1 || ids[0] != itoa(reply.ID) || !strings.Contains(post, "the form posts normally") {
		t.Fatalf("the post page marks %v", ids)
	}

	// With htmx: the results come back with the notice; a comment marked as spam is not answered.
	resp, body = o.post(t, console.ConsoleReplyPath(question.ID), url.Values{"body": {"And with htmx too."}, "return": {"/admin?state=all"}}, true)
	if resp.StatusCode != http.StatusOK || doc(t, body).Find(`#console-results [data-testid="RepliedLink"]`).Length() != 1 {
		t.Fatalf("htmx reply: %d", resp.StatusCode)
	}
	if _, err := a.mod.Act(context.Background(), repo.ActorOwner, "spam", []int64{question.ID}); err != nil {
		t.Fatal(err)
	}
	resp, body = o.post(t, console.ConsoleReplyPath(question.ID), url.Values{"body": {"To spam?"}}, false)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc(t, body).Find("#notice").Text(), "restore it first") {
		t.Fatalf("reply to spam: %d %q", resp.StatusCode, doc(t, body).Find("#notice").Text())
	}
	// Only the owner replies: without the session (or the form token) nothing is stored.
	before = a.countComments(t)
	req := httpReq(http.MethodPost, console.ConsoleReplyPath(reply.ID), url.Values{"body": {"sneaky"}})
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, _ := a.do(t, req); resp.StatusCode != http.StatusUnauthorized || a.countComments(t) != before {
		t.Fatalf("reply without a session: %d", resp.StatusCode)
	}
}

func TestConsoleOpensOnPendingListsDraftsAndSelectsAll(t *testing.T) {
	a := newTestApp(t)
	reader := a.newClient()
	reader.comment(t, "Ann", "ann@example.com", "published one")
	reader.comment(t, "Bob", "bob@example.com", "published two")
	o := a.owner(t)
	current := func(path string) (string, int) {
		d := doc(t, o.page(t, path))
		return strings.TrimSpace(d.Find(`nav[aria-label="By state"] [aria-current="page"]`).Text()), d.Find(`[data-testid="ConsoleComment"]`).Length()
	}
	if tab, n := current("/admin"); tab != "All" || n != 2 {
		t.Fatalf("nothing pending: tab %q with %d comments, want All with 2", tab, n)
	}
	a.mod.Mode = moderation.ModeAll
	reader.comment(t, "Cy", "cy@example.com", "waiting")
	if tab, n := current("/admin"); tab != "Pending (1)" || n != 1 {
		t.Fatalf("one pending: tab %q with %d comments, want Pending (1) with 1", tab, n)
	}
	// Asked for, every comment; the All tab asks for them.
	if tab, n := current("/admin?state=all"); tab != "All" || n != 3 {
		t.Fatalf("state=all: tab %q with %d comments", tab, n)
	}
	d := doc(t, o.page(t, "/admin"))
	if href, _ := d.Find(`nav[aria-label="By state"] a`).First().Attr("href"); href != "/admin?state=all" {
		t.Fatalf("the All tab links to %q", href)
	}
	// The drafts, with links to their previews.
	if href, _ := d.Find(`[data-testid="ConsoleDraft"] a`).Attr("href"); href != "/posts/upcoming" {
		t.Fatalf("draft link %q", href)
	}
	// Select-all: a checkbox for the script, a link without JavaScript that ticks every comment shown.
	if d.Find(`#select-all`).Length() != 1 || d.Find(`input[name="id"][checked]`).Length() != 0 {
		t.Fatal("no select-all, or comments ticked already")
	}
	all := doc(t, o.page(t, "/admin?state=all&select=all"))
	if n := all.Find(`input[name="id"][checked]`).Length(); n != 3 {
		t.Fatalf("select=all ticks %d comments, want 3", n)
	}
	// The filters fold on a phone (the script closes them when none is set).
	if box := d.Find(`details[data-filters]`); box.Length() != 1 || box.AttrOr("data-active", "") != "0" {
		t.Fatal("no foldable filter box")
	}
}

func TestPendingCountIsTheOwnersAlone(t *testing.T) {
	a := newTestApp(t)
	a.mod.Mode = moderation.ModeAll
	ask := func(c *client) (*http.Response, string) {
		req := httpReq(http.MethodGet, "/admin/pending", nil)
		req.Header.Set("Accept", "application/json")
		return c.do(t, req)
	}
	// A reader (even one holding a hint cookie) gets 401, never the sign-in page, and the hint is cleared.
	stranger := a.newClient()
	stranger.cookies[signin.HintCookie] = "1"
	if resp, _ := ask(stranger); resp.StatusCode != http.StatusUnauthorized || stranger.cookies[signin.HintCookie] != "" {
		t.Fatalf("without a session: %d, hint %q", resp.StatusCode, stranger.cookies[signin.HintCookie])
	}
	// Sign-in sets the hint: readable by the page script, sent to this site only, granting nothing.
	hash, _ := owner.HashPassword(testPassword)
	accounts.NewOwner(a.db).SetPassword(context.Background(), hash, repo.Action{Actor: repo.ActorCLI, Name: "set-password"})
	o := a.newClient()
	o.get(t, "/admin/login")
	resp, _ := o.post(t, "/admin/login", url.Values{"password": {testPassword}}, false)
	var hint *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == signin.HintCookie {
			hint = c
		}
	}
	if hint == nil || hint.Value != "1" || hint.HttpOnly || hint.SameSite != http.SameSiteStrictMode || hint.Path != "/" {
		t.Fatalf("hint cookie %+v; want owner=1, readable by scripts, SameSite=Strict, Path=/", hint)
	}
	a.newClient().comment(t, "Ann", "ann@example.com", "waiting one")
	a.newClient().comment(t, "Bob", "bob@example.com", "waiting two")
	resp, body := ask(o)
	var got struct {
		Pending int    `json:"pending"`
		Href    string `json:"href"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 || got.Pending != 2 || got.Href != "/admin?state=pending" ||
		resp.Header.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("count: %d %s (%v), Cache-Control %q", resp.StatusCode, body, err, resp.Header.Get("Cache-Control"))
	}
	// The public pages stay the same for everyone: the slot is there, hidden and empty, for the owner too.
	for _, c := range []*client{o, a.newClient()} {
		slot := doc(t, c.page(t, "/posts/"+a.slug)).Find(`[data-testid="OwnerPending"]`)
		if _, hidden := slot.Attr("hidden"); slot.Length() != 1 || !hidden || strings.TrimSpace(slot.Text()) != "" {
			t.Fatalf("the header's slot on a public page: %d, hidden %v, text %q", slot.Length(), hidden, slot.Text())
		}
	}
	// Signing out clears the hint.
	o.page(t, "/admin")
	if resp, _ := o.post(t, "/admin/logout", nil, false); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if o.cookies[signin.HintCookie] != "" {
		t.Fatal("the hint cookie outlived the session")
	}
}

// TestPendingCountStreamsAcrossInstances opens the owner's count stream on one instance and changes comments on
// another sharing PostgreSQL: each new count arrives, and only counts that changed.
func TestPendingCountStreamsAcrossInstances(t *testing.T) {
	url := dbtest.MigratedPostgresURL(t)
	instA := newTestAppOn(t, dbtest.Open(t, url, true))
	instB := newTestAppOn(t, dbtest.Open(t, url, false))
	instA.mod.Mode = moderation.ModeAll
	baseB := instB.serve(t)
	o := instA.owner(t)
	s := connectSSE(t, baseB+"/admin/events", http.Header{"Cookie": {signin.SessionCookie + "=" + o.cookies[signin.SessionCookie]},
		"Accept": {"text/event-stream"}})
	next := func(want string) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case ev, ok := <-s.events:
				if !ok {
					t.Fatalf("the stream ended waiting for %s", want)
				}
				if ev.name == "pending" {
					if ev.data != want {
						t.Fatalf("pending count %s, want %s", ev.data, want)
					}
					return
				}
			case <-timeout:
				t.Fatalf("no count %s within 10s", want)
			}
		}
	}
	next("0")
	instA.newClient().comment(t, "Ann", "ann@example.com", "held on A")
	next("1")
	instA.mod.Mode = moderation.ModeOff
	instA.newClient().comment(t, "Bob", "bob@example.com", "published on A: the count stays")
	var held repo.Comment
	instA.db.Repo().Find(context.Background(), &held, where.Eq("state", repo.StatePending))
	if _, err := instA.mod.Act(context.Background(), repo.ActorOwner, "approve", []int64{held.ID}); err != nil {
		t.Fatal(err)
	}
	next("0") // and not "1" again for the published comment in between

	// Without the session the stream is refused with 401 (a script's request), not sent to the sign-in page.
	req, _ := http.NewRequest(http.MethodGet, baseB+"/admin/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stream without a session: %d, want 401", resp.StatusCode)
	}
}

func TestWelcomeNamesTheWayTheOwnerChose(t *testing.T) {
	for _, method := range []string{"password", "passkey"} {
		t.Run(method, func(t *testing.T) {
			a := newTestApp(t)
			link, err := owner.NewSetupLink(context.Background(), accounts.NewOwner(a.db))
			if err != nil {
				t.Fatal(err)
			}
			token := strings.TrimPrefix(link, "/admin/setup?token=")
			c := a.newClient()
			c.page(t, link)
			if method == "password" {
				c.post(t, "/admin/setup", url.Values{"token": {token}, "password": {testPassword}, "password_again": {testPassword}}, false)
			} else {
				key := passkeytest.New("http://blog.test")
				resp, opts := c.passkeyPost(t, "/admin/setup/passkey/begin?token="+token, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("setup begin: %d %s", resp.StatusCode, opts)
				}
				answer, err := key.Register([]byte(opts))
				if err != nil {
					t.Fatal(err)
				}
				if resp, body := c.passkeyPost(t, "/admin/setup/passkey/finish?token="+token, answer); resp.StatusCode != http.StatusOK {
					t.Fatalf("setup finish: %d %s", resp.StatusCode, body)
				}
			}
			notice := doc(t, c.page(t, "/admin/account?welcome=1")).Find("#notice").Text()
			if !strings.Contains(notice, "your "+method+" is how you sign in") || strings.Contains(notice, "Add a passkey or a password") {
				t.Fatalf("welcome after a %s: %q", method, notice)
			}
		})
	}
}

// TestPasskeysOnANumericAddressAreExplained opens the setup at 127.0.0.1 (no BASE_URL): the ceremony is refused
// before the browser is asked, with a sentence that names the address that works.
func TestPasskeysOnANumericAddressAreExplained(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.Chrome.BaseURL = "" })
	link, err := owner.NewSetupLink(context.Background(), accounts.NewOwner(a.db))
	if err != nil {
		t.Fatal(err)
	}
	c := a.newClient()
	c.page(t, link)
	for host, want := range map[string]string{
		"127.0.0.1:8080": "Open it at http://localhost:8080 instead",
		"[::1]:9000":     "Open it at http://localhost:9000 instead",
		"192.0.2.7":      "Open it at its name instead",
	} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+host+"/admin/setup/passkey/begin?token="+strings.TrimPrefix(link, "/admin/setup?token="), strings.NewReader("{}"))
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("X-CSRF-Token", c.token)
		resp, body := c.do(t, req)
		var answer struct {
			Error string `json:"error"`
		}
		json.Unmarshal([]byte(body), &answer)
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(answer.Error, "Passkeys work only when the blog is opened by its name") ||
			!strings.Contains(answer.Error, want) {
			t.Errorf("begin at %s: %d %q, want a sentence with %q", host, resp.StatusCode, answer.Error, want)
		}
	}
}

// TestConsoleReplyReachesAnotherInstance replies from the console of one instance while a reader's page is open
// on another sharing PostgreSQL: the reply arrives there live, marked, and is on its rendered page.
func TestConsoleReplyReachesAnotherInstance(t *testing.T) {
	url := dbtest.MigratedPostgresURL(t)
	instA := newTestAppOn(t, dbtest.Open(t, url, true))
	instB := newTestAppOn(t, dbtest.Open(t, url, false))
	baseB := instB.serve(t)
	question := instA.mustPost(t, "Asked on A")
	s := connectSSE(t, baseB+"/posts/"+instB.slug+"/events?after="+strconv.FormatInt(instB.seq(t), 10), nil)
	waitStreams(t, instB, 1)
	o := instA.owner(t)
	if resp, _ := o.post(t, console.ConsoleReplyPath(question), map[string][]string{"body": {"Answered from A's console"}}, true); resp.StatusCode != http.StatusOK {
		t.Fatalf("reply: %d", resp.StatusCode)
	}
	ev := s.nextComment(t)
	if !strings.Contains(ev.data, "Answered from A&#39;s console") && !strings.Contains(ev.data, "Answered from A's console") {
		t.Fatalf("B received %q", ev.data)
	}
	if len(badged(t, ev.data)) != 1 {
		t.Fatalf("B's event is not marked: %q", ev.data)
	}
	instB.settle(t)
	if ids := badged(t, instB.newClient().page(t, "/posts/"+instB.slug)); len(ids) != 1 || ids[0] != strconv.FormatInt(commentOf(t, ev), 10) {
		t.Fatalf("B's page marks %v", ids)
	}
}
