package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/internal/dbtest"
	"blog/moderation"
	"blog/reactions"
	"blog/repo"
)

// react presses a reaction as a browser would (htmx or a plain form), with the browser's record when it has one,
// and returns the answer and the record it now holds.
func (a *testApp) react(t testing.TB, slug string, comment int64, kind, record string, htmx bool) (*http.Response, string, string) {
	t.Helper()
	f := url.Values{"kind": {kind}}
	if comment != 0 {
		f.Set("comment", itoa(comment))
	}
	req := httpReq(http.MethodPost, "/posts/"+slug+"/reactions", f)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	if record != "" {
		req.AddCookie(&http.Cookie{Name: "reacted", Value: record})
	}
	resp, body := a.do(t, req)
	for _, c := range resp.Cookies() {
		if c.Name == "reacted" {
			record = c.Value
			// The keys passed to the browser's other tabs are the record's.
			payload, _, _ := strings.Cut(c.Value, "!")
			if _, keys, _ := strings.Cut(payload, "|"); resp.Header.Get("X-Reacted") != keys {
				t.Errorf("X-Reacted %q, the record's keys %q", resp.Header.Get("X-Reacted"), keys)
			}
		}
	}
	a.settle(t)
	return resp, body, record
}

// firstComment posts a comment and returns its id.
func (a *testApp) firstComment(t testing.TB) int64 {
	t.Helper()
	a.postComment(t, a.slug, form("Ann", "ann@example.com", "Worth reacting to"), true)
	var c repo.Comment
	if err := a.db.Repo().Find(context.Background(), &c, where.Eq("body", "Worth reacting to")); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// countOn reads the bar of a comment (or the post, 0) on the page every reader shares: kind -> count shown.
func (a *testApp) countOn(t testing.TB, comment int64, kind string) string {
	t.Helper()
	id := "#post-reactions"
	if comment != 0 {
		id = "#reactions-" + itoa(comment)
	}
	label, _ := doc(t, a.page(t, "/posts/"+a.slug)).Find(id + " button[data-reaction=" + kind + "]").Attr("aria-label")
	return label
}

func TestReactionsThroughTheRouter(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *database.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres} {
		t.Run(name, func(t *testing.T) {
			a := newTestAppOn(t, open(t))
			id := a.firstComment(t)
			if got := a.countOn(t, id, "like"); got != "Like, 0 reactions" {
				t.Fatalf("before: %q", got)
			}
			// A press with htmx: the bar comes back with the press marked; every reader's page shows the count.
			resp, body, rec := a.react(t, a.slug, id, "like", "", true)
			if resp.StatusCode != http.StatusOK || rec == "" {
				t.Fatalf("press: %d, record %q: %s", resp.StatusCode, rec, body)
			}
			if pressed, _ := doc(t, body).Find("form[hx-swap-oob] button[data-reaction=like]").Attr("aria-pressed"); pressed != "true" || !strings.HasPrefix(body, "Reaction added.") {
				t.Fatalf("the answer does not mark the press: %s", body)
			}
			if got := a.countOn(t, id, "like"); got != "Like, 1 reaction" {
				t.Fatalf("after a press: %q", got)
			}
			// One of each kind per reader: another kind counts, the same kind again takes it back.
			_, _, rec = a.react(t, a.slug, id, "love", rec, true)
			resp, body, rec = a.react(t, a.slug, id, "like", rec, true)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Reaction taken back.") {
				t.Fatalf("second press: %d %s", resp.StatusCode, body)
			}
			if got := a.countOn(t, id, "like"); got != "Like, 0 reactions" {
				t.Fatalf("after taking back: %q", got)
			}
			if got := a.countOn(t, id, "love"); got != "Love, 1 reaction" {
				t.Fatalf("love: %q", got)
			}
			// Another browser (no record) counts as another reader.
			a.react(t, a.slug, id, "love", "", true)
			if got := a.countOn(t, id, "love"); got != "Love, 2 reactions" {
				t.Fatalf("two readers: %q", got)
			}
			// Without JavaScript: a plain form comes back to the same place, which already shows it.
			resp, _, _ = a.react(t, a.slug, 0, "hooray", "", false)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/posts/"+a.slug+"#post-reactions" {
				t.Fatalf("plain press: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if got := a.countOn(t, 0, "hooray"); got != "Hooray, 1 reaction" {
				t.Fatalf("post: %q", got)
			}
			// The counts are on the rows; nothing counts reactions when a page is shown.
			var c repo.Comment
			if err := a.db.Repo().Find(context.Background(), &c, where.Eq("id", id)); err != nil {
				t.Fatal(err)
			}
			if c.Tally() != (repo.Tally{0, 2, 0, 0, 0}) || c.Reactions != 2 {
				t.Fatalf("comment's counts: %v total %d", c.Tally(), c.Reactions)
			}
			// Reactions are not comments: nothing is queued for mail.
			if n, err := a.db.Repo().Count(context.Background(), "outbox"); err != nil || n != 0 {
				t.Fatalf("outbox holds %d (%v)", n, err)
			}
		})
	}
}

func TestReactionRefusals(t *testing.T) {
	a := newTestApp(t)
	id := a.firstComment(t)
	held := a.firstHeld(t)
	for _, tc := range []struct {
		name       string
		comment    string
		kind       string
		htmx       bool
		wantStatus int
		wantText   string
	}{
		{"unknown kind", itoa(id), "angry", false, 422, "not one of the reactions"},
		{"no kind", itoa(id), "", true, 422, "not one of the reactions"},
		{"comment of nothing", "999999", "like", false, 409, "not shown"},
		{"held comment", itoa(held), "like", true, 409, "not shown"},
		{"not an id", "12abc", "like", false, 422, "not a comment of this post"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{"kind": {tc.kind}, "comment": {tc.comment}}
			req := httpReq(http.MethodPost, "/posts/"+a.slug+"/reactions", f)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			if tc.htmx {
				req.Header.Set("HX-Request", "true")
			}
			resp, body := a.do(t, req)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(body, tc.wantText) {
				t.Fatalf("%d, want %d with %q: %s", resp.StatusCode, tc.wantStatus, tc.wantText, body)
			}
		})
	}
	if n, _ := a.db.Repo().Count(context.Background(), "reactions"); n != 0 {
		t.Fatalf("refusals stored %d reactions", n)
	}
	// Another site's form is refused before anything is read.
	req := httpReq(http.MethodPost, "/posts/"+a.slug+"/reactions", url.Values{"kind": {"like"}})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := a.do(t, req); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site: %d", resp.StatusCode)
	}
	if resp, _ := a.do(t, httpReq(http.MethodPost, "/posts/no-such-post/reactions", url.Values{"kind": {"like"}})); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown post: %d", resp.StatusCode)
	}
}

// firstHeld posts a comment that is held for review and returns its id.
func (a *testApp) firstHeld(t testing.TB) int64 {
	t.Helper()
	a.mod.Mode = moderation.ModeAll
	defer func() { a.mod.Mode = moderation.ModeOff }()
	a.postComment(t, a.slug, form("Hal", "hal@example.com", "Held for review"), true)
	var c repo.Comment
	if err := a.db.Repo().Find(context.Background(), &c, where.Eq("body", "Held for review")); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func TestReactionsKeepBansAndTheRate(t *testing.T) {
	// A flood from one address is bounded, whatever the browser record says: from new readers each time, and
	// from one reader pressing and taking back in a loop (a reaction taken back still counts until its window
	// passes).
	for _, fresh := range []bool{true, false} {
		a := newTestApp(t)
		id := a.firstComment(t)
		rec := ""
		presses := reactions.Limit
		if !fresh {
			presses = 2 * reactions.Limit // every other press takes back
		}
		for i := 0; i <= presses; i++ {
			if fresh {
				rec = ""
			}
			var resp *http.Response
			resp, _, rec = a.react(t, a.slug, id, "like", rec, false)
			switch {
			case i < presses && resp.StatusCode != http.StatusSeeOther:
				t.Fatalf("fresh %v, press %d: %d", fresh, i, resp.StatusCode)
			case i == presses && (resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == ""):
				t.Fatalf("fresh %v, press past the limit: %d, Retry-After %q", fresh, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		}
	}
	// Bans by address apply (app.Test's requests come from 0.0.0.0).
	b := newTestApp(t)
	bid := b.firstComment(t)
	if _, _, err := b.mod.Ban(context.Background(), "test", moderation.BanRequest{Kind: "ip", Value: "0.0.0.0"}); err != nil {
		t.Fatal(err)
	}
	resp, body, _ := b.react(t, b.slug, bid, "like", "", true)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "not accepted") {
		t.Fatalf("banned: %d %s", resp.StatusCode, body)
	}
	if n, _ := b.db.Repo().Count(context.Background(), "reactions"); n != 0 {
		t.Fatalf("a banned address stored %d reactions", n)
	}
}

// A made-up or altered record is a new reader's: it cannot take back another reader's reaction.
func TestReactionRecordIsSigned(t *testing.T) {
	a := newTestApp(t)
	id := a.firstComment(t)
	_, _, rec := a.react(t, a.slug, id, "like", "", true)
	reader, _, _ := strings.Cut(rec, "|")
	forged := reader + "|c" + itoa(id) + ".like!AAAAAAAAAAAAAAAAAAAAAAAA"
	a.react(t, a.slug, id, "like", forged, true)
	if got := a.countOn(t, id, "like"); got != "Like, 2 reactions" {
		t.Fatalf("a forged record took back another's reaction: %q", got)
	}
}

// The owner sees each comment's reactions in the console.
func TestConsoleShowsReactions(t *testing.T) {
	a := newTestApp(t)
	id := a.firstComment(t)
	for _, kind := range []string{"like", "like", "thinking"} {
		a.react(t, a.slug, id, kind, "", true)
	}
	o := a.owner(t)
	resp, body := o.get(t, "/admin?state=published")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("console: %d", resp.StatusCode)
	}
	got := strings.Join(strings.Fields(doc(t, body).Find(`[data-comment-id="`+itoa(id)+`"] [data-testid=ConsoleReactions]`).Text()), " ")
	if got != "Reactions: 👍Like 2 🤔Thinking 1" {
		t.Fatalf("console reactions: %q", got)
	}
}

// A double click (eight presses at once from one browser record) leaves the count and the stored reactions
// agreeing: each press either adds or takes back, one after the other, never both adding.
func TestReactionPressesAtOnce(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *database.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres} {
		t.Run(name, func(t *testing.T) {
			a := newTestAppOn(t, open(t))
			id := a.firstComment(t)
			_, _, rec := a.react(t, a.slug, id, "laugh", "", true) // the browser has its record, with one reaction
			const n = 8
			statuses := make(chan int, n)
			for range n {
				go func() {
					req := httpReq(http.MethodPost, "/posts/"+a.slug+"/reactions", url.Values{"kind": {"like"}, "comment": {itoa(id)}})
					req.Header.Set("Sec-Fetch-Site", "same-origin")
					req.Header.Set("HX-Request", "true")
					req.AddCookie(&http.Cookie{Name: "reacted", Value: rec})
					resp, err := a.app.Test(req, -1)
					if err != nil {
						statuses <- 0
						return
					}
					resp.Body.Close()
					statuses <- resp.StatusCode
				}()
			}
			for range n {
				if s := <-statuses; s != http.StatusOK {
					t.Fatalf("a press answered %d", s)
				}
			}
			a.settle(t)
			var c repo.Comment
			if err := a.db.Repo().Find(context.Background(), &c, where.Eq("id", id)); err != nil {
				t.Fatal(err)
			}
			active, err := a.db.Repo().Count(context.Background(), "reactions", where.Eq("comment_id", id), where.Eq("kind", "like"), where.Nil("withdrawn_at"))
			if err != nil {
				t.Fatal(err)
			}
			// Eight presses: on, off, on ... ends off.
			if c.ReactLike != 0 || active != 0 || c.Reactions != 1 {
				t.Fatalf("after %d presses at once: count %d, active rows %d, total %d", n, c.ReactLike, active, c.Reactions)
			}
			if got := a.countOn(t, id, "like"); got != "Like, 0 reactions" {
				t.Fatalf("page: %q", got)
			}
		})
	}
}

// TestReactionsKeepEmailBans: a ban of an email applies to the reactions of the browser that commented with it
// (its signed record of its own comments names them), and not to other readers at the same address.
func TestReactionsKeepEmailBans(t *testing.T) {
	a := newTestApp(t)
	resp, _ := a.postComment(t, a.slug, form("Ann", "ann@example.com", "Worth reacting to"), true)
	var mine *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "mine" {
			mine = c
		}
	}
	if mine == nil {
		t.Fatal("posting a comment set no record of it")
	}
	// The post's own reactions: a ban also takes the banned author's comments off the page.
	press := func(withMine bool) (*http.Response, string) {
		req := httpReq(http.MethodPost, "/posts/"+a.slug+"/reactions", url.Values{"kind": {"like"}})
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("HX-Request", "true")
		if withMine {
			req.AddCookie(mine)
		}
		resp, body := a.do(t, req)
		a.settle(t)
		return resp, body
	}
	for _, ban := range []moderation.BanRequest{{Kind: "email", Value: "ann@example.com"}, {Kind: "domain", Value: "example.com"}} {
		b, _, err := a.mod.Ban(context.Background(), "test", ban)
		if err != nil {
			t.Fatal(err)
		}
		if resp, body := press(true); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "not accepted") {
			t.Fatalf("%s ban: the commenter's browser got %d %s", ban.Kind, resp.StatusCode, body)
		}
		if n, _ := a.db.Repo().Count(context.Background(), "reactions"); n != 0 {
			t.Fatalf("%s ban: %d reactions stored", ban.Kind, n)
		}
		if _, err := a.mod.Unban(context.Background(), "test", b.ID); err != nil {
			t.Fatal(err)
		}
	}
	// Another reader (no record of Ann's comment) is not Ann; nor is Ann once the ban is lifted.
	if resp, body := press(false); resp.StatusCode != http.StatusOK {
		t.Fatalf("another reader: %d %s", resp.StatusCode, body)
	}
	if resp, body := press(true); resp.StatusCode != http.StatusOK {
		t.Fatalf("after unban: %d %s", resp.StatusCode, body)
	}
}
