package activitypub_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	ap "blog/activitypub"
	"blog/activitypub/signature"
	"blog/content"
	"blog/fetch"
	"blog/internal/dbtest"
	"blog/publish"
	"blog/repo/federation"
)

type emptyContent struct{ snap *publish.Snapshot }

func (e emptyContent) Current() *publish.Snapshot { return e.snap }

// TestDeliveryRetriesAndGivesUp sends the queue to four servers on loopback: one that takes it (done), one that
// answers 503 (tried again a minute later, then after five), one that refuses it for good with 410 (failed at
// once), and one still failing a week after the delivery was queued (given up). Every delivery is signed.
func TestDeliveryRetriesAndGivesUp(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	store := federation.New(db)
	snap := &publish.Snapshot{Lib: &content.Library{}}
	svc, err := ap.New(ctx, ap.Config{Store: store, Content: emptyContent{snap}, Fetch: fetch.New(fetch.Config{AllowPrivate: true}),
		BaseURL: "http://blog.example", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var unsigned atomic.Int32
	answer := func(status int) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := signature.KeyID(r); err != nil || r.Header.Get("Digest") == "" {
				unsigned.Add(1)
			}
			w.WriteHeader(status)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	ok, busy, gone, dead := answer(202), answer(503), answer(410), answer(500)
	for _, s := range []*httptest.Server{ok, busy, gone, dead} {
		if err := store.Queue(ctx, []federation.Target{{Inbox: s.URL + "/inbox", Domain: "127.0.0.1"}}, []byte(`{"type":"Create"}`)); err != nil {
			t.Fatal(err)
		}
	}
	// The dead server's delivery was queued eight days ago.
	if _, err := db.Repo().UpdateAny(ctx, rel.From("fed_deliveries").Where(where.Eq("inbox", dead.URL+"/inbox")),
		rel.Set("created_at", time.Now().UTC().Add(-8*24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if n := svc.Round(ctx); n != 4 {
		t.Fatalf("round took %d", n)
	}
	get := func(inbox string) federation.Delivery {
		var d federation.Delivery
		if err := db.Repo().Find(ctx, &d, where.Eq("inbox", inbox)); err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := get(ok.URL + "/inbox"); d.Status != federation.StatusDone || d.Activity != "" {
		t.Fatalf("taken: %+v", d)
	}
	if d := get(gone.URL + "/inbox"); d.Status != federation.StatusFailed {
		t.Fatalf("refused: %+v", d)
	}
	if d := get(dead.URL + "/inbox"); d.Status != federation.StatusFailed || d.LastError == "" {
		t.Fatalf("dead: %+v", d)
	}
	d := get(busy.URL + "/inbox")
	if wait := time.Until(d.NextTryAt); d.Status != federation.StatusPending || d.Attempts != 1 || wait < 50*time.Second || wait > 70*time.Second {
		t.Fatalf("busy: %+v (next try in %v)", d, time.Until(d.NextTryAt))
	}
	// Its time comes: tried again, five minutes later next.
	if _, err := db.Repo().UpdateAny(ctx, rel.From("fed_deliveries").Where(where.Eq("id", d.ID)), rel.Set("next_try_at", time.Now().UTC())); err != nil {
		t.Fatal(err)
	}
	if n := svc.Round(ctx); n != 1 {
		t.Fatalf("second round took %d", n)
	}
	d = get(busy.URL + "/inbox")
	if wait := time.Until(d.NextTryAt); d.Attempts != 2 || wait < 4*time.Minute || wait > 6*time.Minute {
		t.Fatalf("busy again: %+v (next try in %v)", d, wait)
	}
	if n := svc.Round(ctx); n != 0 {
		t.Fatalf("a round took %d deliveries that are not due", n)
	}
	if unsigned.Load() != 0 {
		t.Fatalf("%d unsigned deliveries", unsigned.Load())
	}
}
