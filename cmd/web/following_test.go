package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-rel/rel/where"

	"blog/activitypub/streams"
	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/federation"
	"blog/repo/review"
)

// ownerOf sets the blog's owner password with `web owner password` and signs in through the console, as the
// owner would: the visitor it returns holds the session and the form token.
func ownerOf(t *testing.T, env map[string]string, base string) *visitor {
	t.Helper()
	if out, err := runWeb(t, env, "a long enough password\n", "owner", "password"); err != nil {
		t.Fatalf("web owner password: %v\n%s", err, out)
	}
	v := newVisitor(t)
	v.get(t, base+"/admin/login")
	resp, err := v.client.PostForm(base+"/admin/login", url.Values{"password": {"a long enough password"}, "_csrf": {v.token}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in at %s: %v", base, err)
	}
	resp.Body.Close()
	v.get(t, base+"/admin") // the session's form token
	return v
}

// send sends a console form with the session's token and returns the status and the page (or the redirect).
func (v *visitor) send(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	form.Set("_csrf", v.token)
	resp, err := v.client.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b) + resp.Header.Get("Location")
}

// runWeb runs a command of the program in this process (the real run, as `web ARGS...` would) and returns what
// it printed.
func runWeb(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, envFunc(env), strings.NewReader(stdin), &out, io.Discard)
	return out.String(), err
}

func writeReplyPost(t *testing.T, dir, name, title, inReplyTo, body string) {
	t.Helper()
	// Dated today: a reply post dated before the blog joined the fediverse is not sent to its author.
	text := "---\ntitle: \"" + title + "\"\ndate: " + time.Now().UTC().Format(time.DateOnly) + "\nin_reply_to: " + inReplyTo + "\n---\n\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "posts", name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTwoBlogsFederate runs two blogs on loopback with ACTIVITYPUB=on, each with its own database (two SQLite
// files; two PostgreSQL databases), and has them talk as two fediverse accounts do: A follows B from its console
// (by handle, through WebFinger) and B follows A from the command line (by address); B's new post reaches A's
// Following page; A's reply post (in_reply_to: B's post) appears live on B's post as a comment with A's name,
// handle, picture and link, its edit follows; B's owner answers it from B's console and the answer appears on
// A's reply post, then its edit and deletion follow; A deleting its post removes the comment on B; unfollowing
// drops each from the other's followers.
func TestTwoBlogsFederate(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", dbtest.SQLiteURL}, {"postgres", dbtest.PostgresURL}} {
		t.Run(db.name, func(t *testing.T) { twoBlogsFederate(t, db.url(t), db.url(t)) })
	}
}

func twoBlogsFederate(t *testing.T, dbA, dbB string) {
	dirA, dirB := t.TempDir(), t.TempDir()
	for _, d := range []string{dirA, dirB} {
		os.MkdirAll(filepath.Join(d, "posts"), 0o755)
	}
	writeAPPost(t, dirA, "2026-12-01-hello-a.md", "Hello from A", "The first post of A.")
	writeAPPost(t, dirB, "2026-12-01-hello-b.md", "Hello from B", "The first post of B.")
	envA, envB := activityEnv(dirA, dbA), activityEnv(dirB, dbB)
	envA["SITE_TITLE"], envB["SITE_TITLE"] = "Blog Alpha", "Blog Beta"
	baseA, stopA := startServer(t, envA)
	defer stopA()
	baseB, stopB := startServer(t, envB)
	defer stopB()
	hostA, hostB := strings.TrimPrefix(baseA, "http://"), strings.TrimPrefix(baseB, "http://")
	storeA, storeB := dbtest.Open(t, dbA, false), dbtest.Open(t, dbB, false)
	ctx := context.Background()
	defer func() {
		if t.Failed() {
			for _, b := range []struct {
				name string
				db   *database.DB
			}{{"A", storeA}, {"B", storeB}} {
				name, db := b.name, b.db
				var ds []federation.Delivery
				db.Repo().FindAll(ctx, &ds)
				for _, d := range ds {
					t.Logf("%s delivery %d %s %s attempts %d: %s %.160s", name, d.ID, d.Inbox, d.Status, d.Attempts, d.LastError, d.Activity)
				}
				var cs []repo.Comment
				db.Repo().FindAll(ctx, &cs)
				for _, c := range cs {
					t.Logf("%s comment %d post %d %s %q %s %s", name, c.ID, c.PostID, c.State, c.Body, c.AuthorHandle, c.SourceURL)
				}
			}
		}
	}()
	ownerA, ownerB := ownerOf(t, envA, baseA), ownerOf(t, envB, baseB)

	// Refusals say why and follow no one.
	if st, page := ownerA.send(t, baseA+"/admin/following", url.Values{"target": {"not a handle"}}); st != http.StatusUnprocessableEntity ||
		!strings.Contains(page, "Give a handle") || !strings.Contains(page, `value="not a handle"`) {
		t.Fatalf("following nonsense: %d %.300s", st, page)
	}
	if st, page := ownerA.send(t, baseA+"/admin/following", url.Values{"target": {"@nobody@" + hostB}}); st != http.StatusUnprocessableEntity ||
		!strings.Contains(page, "No account @nobody@"+hostB) {
		t.Fatalf("following no one: %d %.300s", st, page)
	}
	if out, err := runWeb(t, envA, "", "following", "add", baseA+"/ap/actor"); err == nil || !strings.Contains(err.Error(), "this blog") {
		t.Fatalf("following itself: %v %s", err, out)
	}

	// A follows B by handle from its console (WebFinger, then the actor): B accepts.
	if st, loc := ownerA.send(t, baseA+"/admin/following", url.Values{"target": {"@blog@" + hostB}}); st != http.StatusSeeOther ||
		!strings.Contains(loc, "done=followed") {
		t.Fatalf("follow B: %d %s", st, loc)
	}
	accepted := func(st *federation.Store) bool {
		fs, _, err := st.Following(ctx, 10, 0)
		return err == nil && len(fs) == 1 && fs[0].State == federation.FollowAccepted
	}
	waitFor(t, "B accepting A's follow", func() bool { return accepted(federation.New(storeA)) })
	if _, body := get(t, baseB+"/ap/followers"); !strings.Contains(body, `"totalItems":1`) {
		t.Fatalf("B's followers: %s", body)
	}
	if _, page := ownerA.get(t, baseA+"/admin/following"); !strings.Contains(page, "@blog@"+hostB) || !strings.Contains(page, "Following") {
		t.Fatalf("A's Following page: %.2000s", page)
	}

	// B publishes: the post reaches A's Following page.
	start := time.Now()
	writeAPPost(t, dirB, "2026-12-02-news.md", "News from Beta", "Something *happened* at Beta today.")
	newsB := baseB + "/posts/news"
	waitFor(t, "B's post on A's Following page", func() bool {
		_, page := ownerA.get(t, baseA+"/admin/following")
		return strings.Contains(page, "News from Beta") && strings.Contains(page, `href="`+newsB+`"`) &&
			strings.Contains(page, "About News from Beta") && strings.Contains(page, "Blog Beta (@blog@"+hostB+")")
	})
	t.Logf("B's post, from its file written to A's Following page: %v (polled every 25 ms)", time.Since(start).Round(time.Millisecond))

	// A answers B's post with a post of its own: it appears live on B's post as a comment by A. B does not
	// follow A: the reply reaches B because it is addressed to the author it answers.
	linesB := streamLines(t, newsB+"/events")
	start = time.Now()
	writeReplyPost(t, dirA, "2026-12-03-re-news.md", "Re: News from Beta", newsB, "A thoughtful answer from Alpha.")
	replyA := baseA + "/posts/re-news"
	waitLine(t, linesB, "A thoughtful answer from Alpha.", 30*time.Second)
	t.Logf("A's reply post, from its file written to the comment on B's open page: %v", time.Since(start).Round(time.Millisecond))
	_, pageA := get(t, replyA)
	if !strings.Contains(pageA, `class="u-in-reply-to`) || !strings.Contains(pageA, `href="`+newsB+`"`) || !strings.Contains(pageA, "In reply to") {
		t.Fatalf("A's reply post does not say what it answers:\n%.2000s", pageA)
	}
	waitFor(t, "A's reply on B's page, with A's name, handle, picture and link", func() bool {
		_, page := get(t, newsB)
		return strings.Contains(page, "A thoughtful answer from Alpha.") && strings.Contains(page, "Blog Alpha") &&
			strings.Contains(page, "@blog@"+hostA) && strings.Contains(page, `href="`+replyA+`"`) && strings.Contains(page, `src="/media/p/`)
	})
	var onB repo.Comment
	if err := storeB.Repo().Find(ctx, &onB, where.Eq("source_url", replyA)); err != nil || onB.State != repo.StatePublished {
		t.Fatalf("the comment on B: %v %+v", err, onB)
	}

	// A edits its reply post: B's comment follows.
	writeReplyPost(t, dirA, "2026-12-03-re-news.md", "Re: News from Beta", newsB, "A revised answer from Alpha.")
	waitLine(t, linesB, "A revised answer from Alpha.", 30*time.Second)

	// B's owner answers the comment from B's console: the answer appears on A's reply post.
	linesA := streamLines(t, replyA+"/events")
	start = time.Now()
	if st, loc := ownerB.send(t, fmt.Sprintf("%s/admin/comments/%d/reply", baseB, onB.ID), url.Values{"body": {"Thank you, Alpha!"}}); st != http.StatusSeeOther {
		t.Fatalf("B's owner's reply: %d %s", st, loc)
	}
	waitLine(t, linesA, "Thank you, Alpha!", 30*time.Second)
	t.Logf("B's owner's answer, from the console's form to A's open page: %v", time.Since(start).Round(time.Millisecond))
	waitFor(t, "B's answer on A's page, with B's name and handle", func() bool {
		_, page := get(t, replyA)
		return strings.Contains(page, "Thank you, Alpha!") && strings.Contains(page, "Blog Beta") && strings.Contains(page, "@blog@"+hostB)
	})
	var answer repo.Comment
	storeB.Repo().Find(ctx, &answer, where.Eq("parent_id", onB.ID), where.Eq("by_owner", true))
	// B's owner edits the answer, then deletes it: A follows.
	if _, _, err := review.NewComments(storeB).EditComment(ctx, answer.ID, repo.Edit{Body: "Thank you very much, Alpha!",
		Format: repo.FormatMarkdown, State: repo.StatePublished}); err != nil {
		t.Fatal(err)
	}
	waitLine(t, linesA, "Thank you very much, Alpha!", 30*time.Second)
	if st, _ := ownerB.send(t, baseB+"/admin/comments", url.Values{"one": {fmt.Sprintf("delete:%d", answer.ID)}}); st != http.StatusSeeOther {
		t.Fatalf("B's owner deletes the answer: %d", st)
	}
	waitFor(t, "the answer gone from A's page", func() bool {
		_, page := get(t, replyA)
		return !strings.Contains(page, "Thank you very much, Alpha!")
	})

	// A deletes its reply post: the comment goes from B's page.
	if err := os.Remove(filepath.Join(dirA, "posts", "2026-12-03-re-news.md")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's reply gone from B's page", func() bool {
		_, page := get(t, newsB)
		return !strings.Contains(page, "revised answer from Alpha")
	})

	// B follows A by address from the command line: A accepts, and A's next post reaches B's Following page.
	if out, err := runWeb(t, envB, "", "following", "add", baseA+"/ap/actor"); err != nil || !strings.Contains(out, "following @blog@"+hostA) {
		t.Fatalf("web following add: %v\n%s", err, out)
	}
	waitFor(t, "A accepting B's follow", func() bool { return accepted(federation.New(storeB)) })
	if _, body := get(t, baseA+"/ap/followers"); !strings.Contains(body, `"totalItems":1`) {
		t.Fatalf("A's followers: %s", body)
	}
	writeAPPost(t, dirA, "2026-12-04-later.md", "Later at Alpha", "More from Alpha.")
	waitFor(t, "A's post in `web following` on B", func() bool {
		out, err := runWeb(t, envB, "", "following")
		return err == nil && strings.Contains(out, "@blog@"+hostA+"\taccepted") && strings.Contains(out, baseA+"/posts/later\tLater at Alpha")
	})

	// A unfollows B from the console, B unfollows A from the command line: each drops from the other's followers.
	fs, _, _ := federation.New(storeA).Following(ctx, 10, 0)
	if st, loc := ownerA.send(t, fmt.Sprintf("%s/admin/following/%d/delete", baseA, fs[0].ID), url.Values{}); st != http.StatusSeeOther ||
		!strings.Contains(loc, "done=unfollowed") {
		t.Fatalf("unfollow B: %d %s", st, loc)
	}
	waitFor(t, "A gone from B's followers", func() bool {
		_, body := get(t, baseB+"/ap/followers")
		return strings.Contains(body, `"totalItems":0`)
	})
	if _, page := ownerA.get(t, baseA+"/admin/following"); strings.Contains(page, "News from Beta") {
		t.Fatal("an unfollowed account's posts are still listed")
	}
	if out, err := runWeb(t, envB, "", "following", "remove", "@blog@"+hostA); err != nil || !strings.Contains(out, "unfollowed @blog@"+hostA) {
		t.Fatalf("web following remove: %v\n%s", err, out)
	}
	waitFor(t, "B gone from A's followers", func() bool {
		_, body := get(t, baseA+"/ap/followers")
		return strings.Contains(body, `"totalItems":0`)
	})
	if out, err := runWeb(t, envB, "", "following", "remove", "@blog@"+hostA); err == nil {
		t.Fatalf("unfollowing twice: %s", out)
	}
	if out, err := runWeb(t, envB, "", "following", "list"); err != nil || !strings.Contains(out, "follows 0 account(s)") {
		t.Fatalf("web following list: %v\n%s", err, out)
	}
	if _, err := runWeb(t, envB, "", "following", "follow", "someone"); err == nil || !strings.Contains(err.Error(), "usage: web following") {
		t.Fatalf("a command that is not one: %v", err)
	}

	// A follows B again (by address); B's owner removes A from B's followers in the console: A hears a Reject and
	// its Following page says so.
	if st, _ := ownerA.send(t, baseA+"/admin/following", url.Values{"target": {baseB + "/ap/actor"}}); st != http.StatusSeeOther {
		t.Fatalf("follow B again: %d", st)
	}
	waitFor(t, "B accepting A's second follow", func() bool { return accepted(federation.New(storeA)) })
	followers, _, _ := federation.New(storeB).Followers(ctx, 10, 0)
	if st, _ := ownerB.send(t, fmt.Sprintf("%s/admin/followers/%d/delete", baseB, followers[0].ID), url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("B removes its follower A: %d", st)
	}
	waitFor(t, "A's follow of B shown as refused", func() bool {
		_, page := ownerA.get(t, baseA+"/admin/following")
		return strings.Contains(page, "Refused by their server")
	})
}

// TestReplyPostAddressedAsMastodonExpects has the blog answer a Mastodon status with a post (in_reply_to: the
// status's page): the status is read from its server, and its author (who does not follow the blog) receives the
// Create with the status's id as inReplyTo, a Mention of them and them in cc, then the Update of an edit and the
// Delete when the post goes. A post answering a page that is not on the fediverse is published all the same, and
// a reply post dated before the blog joined the fediverse is sent to no author.
func TestReplyPostAddressedAsMastodonExpects(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "posts"), 0o755)
	writeAPPost(t, dir, "2026-12-01-first.md", "First", "The first post.")
	base, stop := startServer(t, activityEnv(dir, dbtest.SQLiteURL(t)))
	defer stop()
	alice := newFediUser(t, base)
	status := alice.id + "/statuses/1"
	page := alice.srv.URL + "/@alice/1"
	alice.mux.HandleFunc("GET /@alice/1", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "activity+json") {
			io.WriteString(w, "<html>a status</html>")
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Note","attributedTo":%q,"content":"<p>Hello</p>","url":%q}`,
			status, alice.id, page)
	})
	writeReplyPost(t, dir, "2026-12-03-answer.md", "An answer", page, "Answering Alice.")
	post := base + "/posts/answer"
	addressed := func(o streams.Object, raw string) bool {
		var a struct {
			Object struct {
				InReplyTo string   `json:"inReplyTo"`
				Cc        []string `json:"cc"`
				Tag       []struct{ Type, Href, Name string }
			} `json:"object"`
		}
		json.Unmarshal([]byte(raw), &a)
		mentioned := false
		for _, tag := range a.Object.Tag {
			mentioned = mentioned || (tag.Type == "Mention" && tag.Href == alice.id && strings.HasPrefix(tag.Name, "@alice@"))
		}
		return streams.Ref(o.Object) == post && a.Object.InReplyTo == status && mentioned && slices.Contains(a.Object.Cc, alice.id)
	}
	waitFor(t, "the Create at Alice's server, addressed to her", func() bool {
		_, ok := alice.received("Create", addressed)
		return ok
	})
	if _, body := get(t, post); !strings.Contains(body, `class="u-in-reply-to`) || !strings.Contains(body, `href="`+page+`"`) {
		t.Fatalf("the post's page does not say what it answers")
	}
	writeReplyPost(t, dir, "2026-12-03-answer.md", "An answer", page, "Answering Alice, edited.")
	waitFor(t, "the Update at Alice's server", func() bool {
		_, ok := alice.received("Update", func(o streams.Object, raw string) bool { return addressed(o, raw) && strings.Contains(raw, "edited.") })
		return ok
	})
	// A reply to a page that is not on the fediverse goes to the followers alone (here: none), and is served.
	writeReplyPost(t, dir, "2026-12-04-elsewhere.md", "Elsewhere", alice.srv.URL+"/not-a-status", "Answering a page.")
	// A reply post dated before the blog joined the fediverse is not news to its author: it is not sent.
	os.WriteFile(filepath.Join(dir, "posts", "2020-01-01-old-answer.md"),
		[]byte("---\ntitle: Old\ndate: 2020-01-01\nin_reply_to: "+page+"\n---\n\nAn old answer.\n"), 0o644)
	waitFor(t, "the other reply posts", func() bool {
		a, _ := get(t, base+"/posts/elsewhere")
		b, _ := get(t, base+"/posts/old-answer")
		return a == http.StatusOK && b == http.StatusOK
	})
	os.Remove(filepath.Join(dir, "posts", "2026-12-03-answer.md"))
	waitFor(t, "the Delete at Alice's server", func() bool {
		_, ok := alice.received("Delete", func(o streams.Object, _ string) bool { return streams.Ref(o.Object) == post })
		return ok
	})
	alice.mu.Lock()
	defer alice.mu.Unlock()
	for _, raw := range alice.raw {
		if strings.Contains(raw, "/posts/elsewhere") || strings.Contains(raw, "/posts/old-answer") {
			t.Fatalf("a reply to a page off the fediverse, or an old one, reached Alice: %.300s", raw)
		}
	}
}
