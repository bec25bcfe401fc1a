package queue

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"blog/clientip"
	"blog/database"
	"blog/fetch"
	"blog/internal/dbtest"
	"blog/moderation"
	"blog/repo"
	"blog/repo/mentions"
	"blog/repo/posts"
	"blog/repo/review"
	"blog/spam"

	"github.com/go-rel/rel/where"
)

// TestMentionsPassTheCommentsDoor receives replies through the real stores and moderation service, on both
// databases: the moderation mode holds them with its reason, a listed word holds them, a ban of the source's
// domain holds them as spam, as for any comment.
func TestMentionsPassTheCommentsDoor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ids, err := posts.NewPosts(db).SyncPosts(ctx, []posts.PostRef{{Slug: "hello", Title: "Hello"}})
		if err != nil {
			t.Fatal(err)
		}
		target := "https://blog.example/posts/hello"
		pages := map[string]string{}
		src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, pages[r.URL.Path])
		}))
		defer src.Close()
		reply := func(text string) string {
			return `<div class="h-entry"><a class="u-in-reply-to" href="` + target + `">re</a><span class="p-author h-card">Ada</span><p class="e-content">` + text + `</p></div>`
		}
		pages["/held"] = reply("Held by the mode.")
		pages["/words"] = reply("Buy cheapviagra now.")
		pages["/banned"] = reply("From a banned domain.")
		pages["/long"] = strings.Replace(reply("A name longer than a commenter's may be."), "Ada", strings.Repeat("N", 300), 1)

		bans := review.NewBans(db)
		mod := &moderation.Service{Comments: review.NewComments(db), BanStore: bans, Hasher: clientip.NewHasher([]byte("0123456789abcdef0123")),
			Mode: moderation.ModeAll, Rules: spam.Rules{Stamps: true, Words: []string{"cheapviagra"}}}
		st := mentions.New(db)
		r := NewReceiver(st, mod, fetch.New(fetch.Config{AllowPrivate: true}), slog.New(slog.NewTextHandler(io.Discard, nil)))
		receive := func(path string) mentions.Webmention {
			t.Helper()
			w, err := r.Accept(ctx, mentions.Received{Source: src.URL + path, Target: target, PostID: ids["hello"]})
			if err != nil {
				t.Fatal(err)
			}
			for r.Round(ctx) > 0 {
			}
			w, err = st.Find(ctx, w.ID)
			if err != nil || w.CommentID == nil {
				t.Fatalf("%s: %+v %v", path, w, err)
			}
			return w
		}
		check := func(w mentions.Webmention, state, reason string) {
			t.Helper()
			c, err := mod.Comment(ctx, *w.CommentID)
			if err != nil {
				t.Fatal(err)
			}
			if c.State != state || !strings.Contains(c.Reason, reason) || c.MentionKind != repo.MentionReply ||
				c.SourceURL != w.Source || c.User.Email != "webmention@127.0.0.1" || c.ByOwner {
				t.Fatalf("comment %+v, want %s %q", c, state, reason)
			}
		}
		check(receive("/held"), repo.StatePending, "MODERATION=all")
		mod.Mode = moderation.ModeOff
		check(receive("/words"), repo.StatePending, "cheapviagra")
		// A name past the bound of a commenter's is cut to it, not refused by the database's column.
		long := receive("/long")
		check(long, repo.StatePublished, "")
		if c, _ := mod.Comment(ctx, *long.CommentID); utf8.RuneCountInString(c.Username) != repo.MaxUsername {
			t.Fatalf("name of %d characters", utf8.RuneCountInString(c.Username))
		}
		if _, err := bans.Add(ctx, repo.Ban{Kind: repo.BanDomain, Value: "127.0.0.1", Label: "127.0.0.1"}, repo.Action{Actor: "test", Name: "ban"}); err != nil {
			t.Fatal(err)
		}
		check(receive("/banned"), repo.StateSpam, "banned email domain")
	})
}

// TestMentionSentAgainWhileVerifiedKeepsOneComment: a source sent again while its first request is being verified
// (an author who fixes a typo at once) is verified again, and the second verification edits the comment the first
// one made. The first verification's save is skipped, as the row changed meanwhile; the comment it made stayed
// without its mention, and the second made another (a reply shown twice, once as it was before the edit).
func TestMentionSentAgainWhileVerifiedKeepsOneComment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ids, err := posts.NewPosts(db).SyncPosts(ctx, []posts.PostRef{{Slug: "hello", Title: "Hello"}})
		if err != nil {
			t.Fatal(err)
		}
		target := "https://blog.example/posts/hello"
		reply := func(text string) string {
			return `<div class="h-entry"><a class="u-in-reply-to" href="` + target + `">re</a><span class="p-author h-card">Ada</span><p class="e-content">` + text + `</p></div>`
		}
		fetching, release := make(chan struct{}), make(chan struct{})
		var fetches int
		src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			if fetches++; fetches == 1 {
				close(fetching)
				<-release
				io.WriteString(w, reply("First words."))
				return
			}
			io.WriteString(w, reply("Edited words."))
		}))
		defer src.Close()
		mod := &moderation.Service{Comments: review.NewComments(db), BanStore: review.NewBans(db),
			Hasher: clientip.NewHasher([]byte("0123456789abcdef0123")), Mode: moderation.ModeOff}
		st := mentions.New(db)
		r := NewReceiver(st, mod, fetch.New(fetch.Config{AllowPrivate: true}), slog.New(slog.NewTextHandler(io.Discard, nil)))
		rec := mentions.Received{Source: src.URL + "/reply", Target: target, PostID: ids["hello"]}
		w, err := r.Accept(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		first := make(chan int)
		go func() { first <- r.Round(ctx) }()
		<-fetching // the first verification is reading the source
		if _, err := r.Accept(ctx, rec); err != nil {
			t.Fatal(err)
		}
		close(release)
		if n := <-first; n != 1 {
			t.Fatalf("the first round took %d", n)
		}
		for r.Round(ctx) > 0 {
		}
		w, err = st.Find(ctx, w.ID)
		if err != nil || w.Status != mentions.StatusVerified || w.CommentID == nil {
			t.Fatalf("mention %+v %v", w, err)
		}
		n, err := db.Repo().Count(ctx, "comments", where.Eq("post_id", ids["hello"]))
		if err != nil || n != 1 {
			t.Fatalf("%d comments on the post (%v), want the one, edited", n, err)
		}
		if c, err := mod.Comment(ctx, *w.CommentID); err != nil || !strings.Contains(c.Body, "Edited words.") {
			t.Fatalf("comment %+v %v", c, err)
		}
	})
}
