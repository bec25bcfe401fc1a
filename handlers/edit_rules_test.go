package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blog/handlers"
	"blog/moderation"
	"blog/repo"
	"blog/spam"
)

// withRules sets the moderation mode and spam rules every comment passes.
func withRules(mode moderation.Mode, rules spam.Rules) appOption {
	return func(c *handlers.Config) {
		mod := c.Moderation.(*moderation.Service)
		mod.Mode, mod.Rules = mode, rules
	}
}

// TestEditsPassTheRulesNewCommentsPass checks that an author's edit is screened exactly as a new comment is: a
// text over the link limit, or from a banned author, is held again with the reason, and once held, an edit the
// rules pass does not release it; the console shows that it was edited, with the earlier texts.
func TestEditsPassTheRulesNewCommentsPass(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.EditWindow = time.Hour }, withRules(moderation.ModeOff, spam.Rules{MaxLinks: 2}))
	author, reader := a.newClient(), a.newClient()
	author.comment(t, "Ada", "ada@example.com", "A harmless comment")
	cm := a.commentByBody(t, "A harmless comment")
	path := "/posts/" + a.slug + "/comments/" + itoa(cm.ID)
	links := "see https://a.example https://b.example https://c.example https://d.example"
	if resp, body := author.post(t, path, url.Values{"body": {links}}, true); resp.StatusCode != 200 || !strings.Contains(body, "Awaiting approval") {
		t.Fatalf("edit with four links: %d %s", resp.StatusCode, body)
	}
	a.settle(t)
	got := a.commentByBody(t, links)
	if got.State != repo.StatePending || got.Reason != "after an edit, held: 4 links (more than 2)" {
		t.Fatalf("after the edit: %s (%q), want held for its links", got.State, got.Reason)
	}
	if strings.Contains(reader.page(t, "/posts/"+a.slug), "d.example") {
		t.Fatal("another reader sees the edited comment the rules hold")
	}
	if !strings.Contains(author.page(t, "/posts/"+a.slug), "d.example") {
		t.Fatal("its author no longer sees it")
	}
	// Back within the rules, it stays held: an edit never releases a held comment, the owner does.
	author.post(t, path, url.Values{"body": {"Fixed, one link: https://a.example"}}, true)
	a.settle(t)
	if got := a.commentByBody(t, "Fixed, one link: https://a.example"); got.State != repo.StatePending {
		t.Fatalf("an edit the rules pass, of a held comment: %s (%q); want still held", got.State, got.Reason)
	}
	if strings.Contains(reader.page(t, "/posts/"+a.slug), "Fixed, one link") {
		t.Fatal("an edit released a held comment")
	}
	// The console says it was edited and keeps every earlier text.
	o := a.owner(t)
	console := doc(t, o.page(t, "/admin?id="+itoa(cm.ID)))
	if console.Find(`[data-testid="ConsoleEdited"]`).Length() != 1 {
		t.Fatal("the console does not say the comment was edited")
	}
	versions := console.Find(`[data-testid="ConsoleVersion"]`)
	if versions.Length() != 2 || !strings.Contains(versions.Eq(0).Text(), "A harmless comment") || !strings.Contains(versions.Eq(1).Text(), "d.example") {
		t.Fatalf("console versions: %d: %q", versions.Length(), versions.Text())
	}
	// A ban applies to edits too: the author's email banned now, the next edit is held as spam.
	if resp, _ := o.post(t, "/admin/bans", url.Values{"kind": {"email"}, "value": {"ada@example.com"}}, false); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ban: %d", resp.StatusCode)
	}
	author.post(t, path, url.Values{"body": {"Edited once more"}}, true)
	if got := a.commentByBody(t, "Edited once more"); got.State != repo.StateSpam || !strings.Contains(got.Reason, "banned email") {
		t.Fatalf("an edit by a banned author: %s (%q)", got.State, got.Reason)
	}
}

// TestModeratedCommentsStayAsTheOwnerLeftThem checks that once the owner has acted on a comment (marked it as
// spam, approved it), its author can neither edit nor delete it, by form or with htmx, and nothing changes.
func TestModeratedCommentsStayAsTheOwnerLeftThem(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.EditWindow = time.Hour }, withRules(moderation.ModeAll, spam.Rules{}))
	author := a.newClient()
	o := a.owner(t)
	for _, tc := range []struct{ body, action, state string }{
		{"Buy cheap things", "spam", repo.StateSpam},
		{"A fine comment", "approve", repo.StatePublished},
	} {
		author.comment(t, "Ada", "ada@example.com", tc.body)
		cm := a.commentByBody(t, tc.body)
		if resp, _ := o.post(t, "/admin/comments", url.Values{"one": {tc.action + ":" + itoa(cm.ID)}}, false); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d", tc.action, resp.StatusCode)
		}
		path := "/posts/" + a.slug + "/comments/" + itoa(cm.ID)
		for _, htmx := range []bool{false, true} {
			if resp, body := author.post(t, path, url.Values{"body": {"changed"}}, htmx); resp.StatusCode != http.StatusForbidden ||
				!strings.Contains(body, "reviewed this comment") {
				t.Errorf("%s, edit (htmx %v): %d", tc.action, htmx, resp.StatusCode)
			}
			if resp, _ := author.post(t, path+"/delete", nil, htmx); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s, delete (htmx %v): %d", tc.action, htmx, resp.StatusCode)
			}
		}
		if got := a.commentByBody(t, tc.body); got.State != tc.state || got.EditedAt != nil {
			t.Fatalf("%s: the author changed it: %s, edited %v", tc.action, got.State, got.EditedAt)
		}
		if strings.Contains(author.page(t, "/posts/"+a.slug), `data-testid="EditLink"`) {
			t.Errorf("%s: the page still offers Edit", tc.action)
		}
	}
}

// TestPersonalPagesAreNotShared checks that a post page made for one visitor (their held comment on it) tells
// caches in front to keep it to that visitor, while the page every reader shares stays cacheable.
func TestPersonalPagesAreNotShared(t *testing.T) {
	a := newTestApp(t, withRules(moderation.ModeAll, spam.Rules{}))
	author := a.newClient()
	author.comment(t, "Ada", "ada@example.com", "Waiting for the owner")
	resp, body := author.get(t, "/posts/"+a.slug)
	if !strings.Contains(body, "Waiting for the owner") || resp.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("the author's page: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	resp, body = a.newClient().get(t, "/posts/"+a.slug)
	if strings.Contains(body, "Waiting for the owner") || resp.Header.Get("Cache-Control") != "public, no-cache" {
		t.Fatalf("another reader's page: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	if resp, _ := author.get(t, "/posts/"+a.slug+"?reply_to=1"); resp.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("a page with the form as a reply: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
}

// TestOwnCommentMarkup checks what the page script needs for one's own comment: its controls in one block (no
// form inside a paragraph, which the browser splits), when its time to change ends, replies naming what they
// answer, and a comment field that keeps a long paste whole (no maxlength) with the limit said in words.
func TestOwnCommentMarkup(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.EditWindow = time.Hour })
	author, other := a.newClient(), a.newClient()
	author.comment(t, "Ada", "ada@example.com", "Mine")
	mine := a.commentByBody(t, "Mine")
	other.reply(t, mine.ID, "Bob", "An answer")
	author.comment(t, "Ada", "ada@example.com", "Mine again")
	page := author.page(t, "/posts/"+a.slug)
	d := doc(t, page)
	controls := d.Find(`[data-own-controls]`)
	if controls.Length() != 1 || controls.Find("p form").Length() != 0 || controls.Find("form").Length() != 1 {
		t.Fatalf("own controls: %d blocks, form inside a paragraph: %d", controls.Length(), controls.Find("p form").Length())
	}
	until, _ := controls.Attr("data-editable-until")
	if at, err := time.Parse(time.RFC3339, until); err != nil || at.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("data-editable-until %q (%v), want about an hour from now", until, err)
	}
	if p, _ := d.Find(`li.reply`).Attr("data-parent"); p != itoa(mine.ID) {
		t.Fatalf("the reply's data-parent %q, want %d", p, mine.ID)
	}
	body := d.Find("#comment-body")
	if _, has := body.Attr("maxlength"); has || !strings.Contains(d.Find("#comment-body-hint").Text(), "Up to 5,000 characters") {
		t.Fatalf("comment field: maxlength %v, hint %q", has, d.Find("#comment-body-hint").Text())
	}
}
