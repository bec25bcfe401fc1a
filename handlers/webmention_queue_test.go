package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/fetch"
	"blog/handlers"
	"blog/internal/dbtest"
	"blog/repo/mentions"
	"blog/webmention/queue"
)

// TestWebmentionQueueBound fills the verification queue to its bound (mentions.MaxPending waiting) on both
// databases and sends one more through the real router: it is refused with 503, a Retry-After and a sentence
// saying why, and nothing is stored; a mention already waiting may still be sent again (202, still one row); and
// once one of them is verified, a new one is taken again.
func TestWebmentionQueueBound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := mentions.New(db)
		receiver := queue.NewReceiver(st, nil, fetch.New(fetch.Config{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
		// The receiver's worker is not started: nothing leaves the queue but what the test does.
		a := newTestAppOn(t, db, func(c *handlers.Config) { c.Webmentions = receiver })
		target := "http://blog.test/posts/" + a.slug
		post := a.postID(t, a.slug)
		now := time.Now().UTC()
		for from := 0; from < mentions.MaxPending; from += 1000 {
			rows := make([]mentions.Webmention, 1000)
			for i := range rows {
				rows[i] = mentions.Webmention{Source: "https://many.example/" + strconv.Itoa(from+i), Target: target, PostID: post,
					Status: mentions.StatusPending, NextTryAt: now, CreatedAt: now, UpdatedAt: now}
			}
			if err := db.Repo().InsertAll(ctx, &rows); err != nil {
				t.Fatal(err)
			}
		}
		count := func() int {
			t.Helper()
			n, err := db.Repo().Count(ctx, "webmentions")
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		send := func(source string) (*http.Response, string) {
			t.Helper()
			req := httpReq(http.MethodPost, "/webmention", url.Values{"source": {source}, "target": {target}})
			return a.do(t, req)
		}

		resp, body := send("https://one-more.example/reply")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "600" ||
			!strings.Contains(body, "Too many Webmentions are waiting to be verified") {
			t.Fatalf("the %d+1st: %d Retry-After %q %q; want 503, 600 and the sentence", mentions.MaxPending, resp.StatusCode,
				resp.Header.Get("Retry-After"), body)
		}
		if n := count(); n != mentions.MaxPending {
			t.Fatalf("%d mentions stored after the refusal, want %d", n, mentions.MaxPending)
		}
		if n, _ := db.Repo().Count(ctx, "webmentions", where.Eq("source", "https://one-more.example/reply")); n != 0 {
			t.Fatalf("the refused mention was stored")
		}

		// One already waiting is sent again: taken, still one row.
		if resp, body := send("https://many.example/7"); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("a waiting mention sent again: %d %q, want 202", resp.StatusCode, body)
		}
		if n := count(); n != mentions.MaxPending {
			t.Fatalf("%d mentions stored, want %d", n, mentions.MaxPending)
		}

		// The queue moves: one verified, and there is room for one more, and only one.
		if _, err := db.Repo().UpdateAny(ctx, rel.From("webmentions").Where(where.Eq("source", "https://many.example/8")),
			rel.Set("status", mentions.StatusVerified), rel.Set("kind", "mention")); err != nil {
			t.Fatal(err)
		}
		if resp, body := send("https://one-more.example/reply"); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("with room again: %d %q, want 202", resp.StatusCode, body)
		}
		if resp, _ := send("https://two-more.example/reply"); resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("past the bound again: %d, want 503", resp.StatusCode)
		}
		if n := count(); n != mentions.MaxPending+1 {
			t.Fatalf("%d mentions stored, want %d (the bound is on those waiting)", n, mentions.MaxPending+1)
		}
	})
}
