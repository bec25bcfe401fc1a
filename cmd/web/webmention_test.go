package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-rel/rel/where"

	"blog/fetch"
	"blog/internal/dbtest"
	"blog/internal/imagetest"
	"blog/repo/mentions"
	"blog/webmention"
	wmclient "willnorris.com/go/webmention"
)

// otherSite is another blog on loopback: one page per path, changeable while the test runs.
type otherSite struct {
	mu    sync.Mutex
	pages map[string]string // "" answers 410 Gone
	srv   *httptest.Server
}

func newOtherSite(t *testing.T) *otherSite {
	o := &otherSite{pages: map[string]string{}}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		page, ok := o.pages[r.URL.Path]
		o.mu.Unlock()
		switch {
		case !ok:
			http.NotFound(w, r)
		case page == "":
			w.WriteHeader(http.StatusGone)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
		}
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *otherSite) set(path, page string) {
	o.mu.Lock()
	o.pages[path] = page
	o.mu.Unlock()
}

func replyPage(target, text string) string { return replyPageWithPhoto(target, text, "") }

// replyPageWithPhoto is a reply whose author's h-card names a photo (none when photo is "").
func replyPageWithPhoto(target, text, photo string) string {
	img := ""
	if photo != "" {
		img = `<img class="u-photo" src="` + photo + `" alt="">`
	}
	return `<!doctype html><html><body><article class="h-entry">
		<div class="p-author h-card">` + img + `<a class="p-name u-url" href="/">Ada Lovelace</a></div>
		<p>In reply to <a class="u-in-reply-to" href="` + target + `">Hello</a></p>
		<div class="e-content"><p>` + text + `<script>alert("x")</script></p></div>
		<time class="dt-published" datetime="2026-12-01T10:00:00Z">1 Dec</time></article></body></html>`
}

// waitFor polls until ok holds, failing after a deadline far beyond what the work takes on a loaded machine.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestWebmentionReceivedThroughTheRealProgram(t *testing.T) {
	for _, db := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", dbtest.SQLiteURL}, {"postgres", dbtest.PostgresURL}} {
		t.Run(db.name, func(t *testing.T) {
			dbURL := db.url(t)
			base, stop := startServer(t, map[string]string{"DATABASE_URL": dbURL, "WEBMENTION_ALLOW_PRIVATE": "true",
				"RATE_LIMIT": "off", "WEBMENTION_RATE": "30/1h"})
			defer stop()
			target := base + "/posts/hello-world"
			other := newOtherSite(t)
			sender := fetch.New(fetch.Config{AllowPrivate: true})
			ctx := context.Background()

			// The post advertises its endpoint; the sender finds it as any Webmention sender would.
			resp, err := http.Get(target)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if l := resp.Header.Get("Link"); !strings.Contains(l, `</webmention>; rel="webmention"`) {
				t.Fatalf("Link header %q", l)
			}

			other.set("/reply", replyPageWithPhoto(target, "What a lovely first post.", "/ada.jpg"))
			other.set("/ada.jpg", string(imagetest.JPEGWithMetadata(300, 200)))
			res, err := webmention.Send(ctx, sender, other.srv.URL+"/reply", target)
			if err != nil || res.Status != http.StatusAccepted || res.Endpoint != base+"/webmention" {
				t.Fatalf("send: %+v %v", res, err)
			}
			waitFor(t, "the reply on the post page", func() bool {
				_, body := get(t, target)
				return strings.Contains(body, "What a lovely first post.") && strings.Contains(body, "Ada Lovelace")
			})
			_, body := get(t, target)
			if strings.Contains(body, `alert("x")`) {
				t.Fatalf("the source's script reached the page")
			}
			// The comment says where it came from and links to the original; the page advertises the endpoint.
			for _, want := range []string{`data-testid="ElsewhereOrigin"`, "replied on", `href="` + other.srv.URL + `/reply"`,
				`<link rel="webmention" href="/webmention">`} {
				if !strings.Contains(body, want) {
					t.Errorf("the post page lacks %s", want)
				}
			}
			// The author's picture is the blog's own copy, served by the blog: nothing loads from the other site.
			pic := regexp.MustCompile(`<img data-testid="Avatar" data-picture src="(/media/p/[0-9a-f]{24}\.jpg)"`).FindStringSubmatch(body)
			if pic == nil || strings.Contains(body, other.srv.URL+"/ada.jpg") {
				t.Fatalf("the reply's picture is not the blog's copy")
			}
			resp, err = http.Get(base + pic[1])
			if err != nil {
				t.Fatal(err)
			}
			img, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || strings.Contains(string(img), imagetest.Secret) {
				t.Fatalf("GET %s: %d %q", pic[1], resp.StatusCode, resp.Header.Get("Content-Type"))
			}

			// Sent again after an edit: the comment follows.
			other.set("/reply", replyPage(target, "Edited: a lovely first post indeed."))
			if _, err := webmention.Send(ctx, sender, other.srv.URL+"/reply", target); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the edited reply", func() bool {
				_, body := get(t, target)
				return strings.Contains(body, "Edited: a lovely first post indeed.") && !strings.Contains(body, "What a lovely first post.")
			})

			// A like is counted, not shown as a comment.
			other.set("/like", `<div class="h-entry"><a class="u-like-of" href="`+target+`">liked</a><a class="p-author h-card" href="/">Bob</a></div>`)
			if _, err := webmention.Send(ctx, sender, other.srv.URL+"/like", target); err != nil {
				t.Fatal(err)
			}
			store := dbtest.Open(t, dbURL, false)
			waitFor(t, "the like verified", func() bool {
				var w mentions.Webmention
				err := store.Repo().Find(ctx, &w, where.Eq("source", other.srv.URL+"/like"))
				return err == nil && w.Status == mentions.StatusVerified && w.Kind == "like" && w.CommentID == nil
			})
			// It is counted under the post, with the liker's name linking to their site, on the page everyone
			// shares (its cached rendering made again by the change the like recorded).
			waitFor(t, "the like under the post", func() bool {
				_, body := get(t, target)
				return strings.Contains(body, "1 like from other sites:") && strings.Contains(body, `href="`+other.srv.URL+`/" rel="ugc nofollow noopener" class="underline hover:no-underline">Bob</a>`)
			})
			if _, body := get(t, target); strings.Count(body, "Bob") != 1 {
				t.Errorf("the like also shows as a comment")
			}

			// The source is deleted (410): sent again, the comment goes.
			other.set("/reply", "")
			if _, err := webmention.Send(ctx, sender, other.srv.URL+"/reply", target); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the reply removed", func() bool {
				_, body := get(t, target)
				return !strings.Contains(body, "a lovely first post indeed")
			})

			// Requests the endpoint refuses, with a sentence and nothing stored.
			for _, tc := range []struct {
				form url.Values
				want string
			}{
				{url.Values{"source": {other.srv.URL + "/x"}}, "required"},
				{url.Values{"source": {"javascript:alert(1)"}, "target": {target}}, "source must be"},
				{url.Values{"source": {other.srv.URL + "/x"}, "target": {base + "/posts/no-such-post"}}, "not a page of this site"},
				{url.Values{"source": {other.srv.URL + "/x"}, "target": {"https://elsewhere.example/posts/hello-world"}}, "not a page of this site"},
				{url.Values{"source": {target}, "target": {target}}, "differ"},
			} {
				resp, err := http.PostForm(base+"/webmention", tc.form)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
					t.Errorf("%v: %d %q, want 400 %q", tc.form, resp.StatusCode, b, tc.want)
				}
			}
			// One client sending on and on is told to wait.
			limited := false
			for i := 0; i < 40 && !limited; i++ {
				resp, err := http.PostForm(base+"/webmention", url.Values{"source": {other.srv.URL + "/x"}, "target": {target}})
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				limited = resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != ""
			}
			if !limited {
				t.Fatalf("40 requests from one address were never limited")
			}
		})
	}
}

// TestWebmentionRefusesPrivateSources shows the default: a source on a loopback address is never fetched, and
// its mention fails at once rather than waiting for retries.
func TestWebmentionRefusesPrivateSources(t *testing.T) {
	dbURL := dbtest.SQLiteURL(t)
	base, stop := startServer(t, map[string]string{"DATABASE_URL": dbURL, "RATE_LIMIT": "off"})
	defer stop()
	target := base + "/posts/hello-world"
	other := newOtherSite(t)
	other.set("/reply", replyPage(target, "From a private address."))
	resp, err := http.PostForm(base+"/webmention", url.Values{"source": {other.srv.URL + "/reply"}, "target": {target}})
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	store := dbtest.Open(t, dbURL, false)
	var w mentions.Webmention
	waitFor(t, "the mention refused", func() bool {
		err := store.Repo().Find(context.Background(), &w, where.Eq("source", other.srv.URL+"/reply"))
		return err == nil && w.Status == mentions.StatusFailed
	})
	if !strings.Contains(w.LastError, "not public") || w.CommentID != nil {
		t.Fatalf("%+v", w)
	}
	if _, body := get(t, target); strings.Contains(body, "From a private address.") {
		t.Fatalf("shown")
	}
}

// TestTwoBlogsMentionEachOther runs two instances of the blog on loopback, each with a folder of posts: a post
// on one that links to a post on the other is notified when it appears, the other shows it in the
// conversation (read from the post's h-entry: its author's h-card and its text), and when the link is taken out
// of the post the mention goes from the other blog too.
//
// It once failed on a busy machine. Two things could make it: a post file written in place is truncated and
// then written, and a content reload that falls between the two (the watcher waits 150 ms for quiet, which a
// descheduled writer can exceed) reads an empty post: the blog then unpublishes it and tells the other blog its
// links are gone, or, for the target, answers the other's Webmention 400 (not a post), which the sender takes
// as the receiver's verdict and never repeats; and each such extra notification counts against the endpoint's
// 5 a minute from one address (both blogs are 127.0.0.1), past which a 429 is retried only after a minute,
// beyond the test's wait. The posts are now written as editors that save safely write them (a new file renamed
// into place, so a reload sees the old post or the new one), and the endpoint's rate, which other tests check,
// is lifted here. It failed once more in CI: B discovered A's endpoint while A was loading its new post, A kept
// the old post's page under the new content's version, and B verified A's Webmention against it (no link):
// every page is now rendered from one snapshot (TestACachedPageIsOfOneSnapshot).
func TestTwoBlogsMentionEachOther(t *testing.T) {
	post := func(title, body string) string {
		return "---\ntitle: " + title + "\ndate: 2026-12-01\n---\n\n" + body + "\n"
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	for _, d := range []string{dirA, dirB} {
		if err := os.MkdirAll(filepath.Join(d, "posts"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(dir, name, text string) {
		t.Helper()
		tmp := filepath.Join(dir, ".saving-"+name)
		if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "posts", name)); err != nil {
			t.Fatal(err)
		}
	}
	write(dirA, "2026-12-01-from-a.md", post("From A", "Nothing yet."))
	write(dirB, "2026-12-01-from-b.md", post("From B", "Nothing yet."))
	dbA, dbB := dbtest.SQLiteURL(t), dbtest.SQLiteURL(t)
	env := func(dir, db string) map[string]string {
		return map[string]string{"DATABASE_URL": db, "CONTENT_DIR": dir, "WEBMENTION_ALLOW_PRIVATE": "true", "RATE_LIMIT": "off",
			"WEBMENTION_RATE": "off"}
	}
	baseA, stopA := startServer(t, env(dirA, dbA))
	defer stopA()
	baseB, stopB := startServer(t, env(dirB, dbB))
	defer stopB()
	defer func() {
		if !t.Failed() {
			return
		}
		var sends []mentions.Send
		dbtest.Open(t, dbA, false).Repo().FindAll(context.Background(), &sends)
		var got []mentions.Webmention
		dbtest.Open(t, dbB, false).Repo().FindAll(context.Background(), &got)
		t.Logf("A sent %+v\nB received %+v", sends, got)
	}()

	// Each writes about the other's post.
	write(dirA, "2026-12-01-from-a.md", post("From A", "I agree with [B's post]("+baseB+"/posts/from-b), every word."))
	write(dirB, "2026-12-01-from-b.md", post("From B", "A answered: see [A's post]("+baseA+"/posts/from-a)."))
	waitFor(t, "A's mention on B's post", func() bool {
		_, body := get(t, baseB+"/posts/from-b")
		return strings.Contains(body, "every word.") && strings.Contains(body, `href="`+baseA+`/posts/from-a"`)
	})
	waitFor(t, "B's mention on A's post", func() bool {
		_, body := get(t, baseA+"/posts/from-a")
		return strings.Contains(body, "A answered: see") && strings.Contains(body, `href="`+baseB+`/posts/from-b"`) &&
			strings.Contains(body, "mentioned this post on")
	})

	// A answers B's post by front matter alone (in_reply_to, no link in the text): B hears of it as a reply.
	write(dirA, "2026-12-01-answer.md", "---\ntitle: An answer\ndate: 2026-12-01\nin_reply_to: "+baseB+"/posts/from-b\n---\n\nAnswered by front matter alone.\n")
	waitFor(t, "A's reply post on B's post", func() bool {
		_, body := get(t, baseB+"/posts/from-b")
		return strings.Contains(body, "Answered by front matter alone.") && strings.Contains(body, `href="`+baseA+`/posts/answer"`)
	})

	// A writes a second post linking to B, then takes the link out: B is told, verifies, and removes that
	// mention. (The first stays: A's page still links to B's post, through B's mention shown under it.)
	write(dirA, "2026-12-02-later.md", post("Later from A", "More on [B's post]("+baseB+"/posts/from-b)."))
	waitFor(t, "A's second mention on B's post", func() bool {
		_, body := get(t, baseB+"/posts/from-b")
		return strings.Contains(body, `href="`+baseA+`/posts/later"`)
	})
	write(dirA, "2026-12-02-later.md", post("Later from A", "On second thoughts, nothing to link."))
	waitFor(t, "A's second mention gone from B's post", func() bool {
		_, body := get(t, baseB+"/posts/from-b")
		return !strings.Contains(body, `href="`+baseA+`/posts/later"`) && strings.Contains(body, `href="`+baseA+`/posts/from-a"`)
	})
}

// TestWebmentionFromAWellKnownSender has willnorris.com/go/webmention, a Go Webmention client used by IndieWeb
// sites, play the other side: it finds the blog's endpoint and sends a reply, which the blog verifies and shows.
func TestWebmentionFromAWellKnownSender(t *testing.T) {
	base, stop := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "WEBMENTION_ALLOW_PRIVATE": "true"})
	defer stop()
	target := base + "/posts/hello-world"
	other := newOtherSite(t)
	other.set("/notes/1", replyPage(target, "Sent by another implementation."))
	client := wmclient.New(&http.Client{Timeout: 10 * time.Second})
	endpoint, err := client.DiscoverEndpoint(target)
	if err != nil || endpoint != base+"/webmention" {
		t.Fatalf("the library discovered %q, %v", endpoint, err)
	}
	resp, err := client.SendWebmention(endpoint, other.srv.URL+"/notes/1", target)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	sent := time.Now()
	waitFor(t, "the library's reply on the post", func() bool {
		_, body := get(t, target)
		return strings.Contains(body, "Sent by another implementation.")
	})
	t.Logf("accepted to shown on the post page: %v", time.Since(sent).Round(time.Millisecond))
}
