package publish_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"blog/content"
	"blog/internal/dbtest"
	"blog/publish"
	"blog/repo/posts"
)

// deskDocs is a desk that serves fixed documents.
type deskDocs struct {
	docs []content.Document
	next *time.Time
}

func (d *deskDocs) Documents(context.Context) ([]content.Document, *time.Time, error) {
	return d.docs, d.next, nil
}

// TestDeskPostsBesideFiles: the desk's documents are served beside the folder's files by the same rules, a slug a
// file uses stays the file's (the desk post is listed as not served), a held document is a draft, and the
// schedule reads the content again when the held post's time comes.
func TestDeskPostsBesideFiles(t *testing.T) {
	dir := files(t, map[string]string{"posts/2026-11-01-taken.md": post("The file", "2026-11-01")})
	desk := &deskDocs{docs: []content.Document{
		{Name: "posts/written.md", Origin: content.OriginDesk, Label: "desk: written", Src: []byte(post("Written here", "2026-11-02"))},
		{Name: "posts/taken.md", Origin: content.OriginDesk, Label: "desk: taken", Src: []byte(post("Not the file", "2026-11-03"))},
		{Name: "posts/later.md", Origin: content.OriginDesk, Label: "desk: later", Src: []byte(post("Later", "2026-11-04")), Hold: true},
	}}
	log := &logBuffer{}
	store, err := publish.Open(ctx, os.DirFS(dir), posts.NewPosts(dbtest.SQLite(t)), slog.New(slog.NewTextHandler(log, nil)), publish.WithDesk(desk))
	if err != nil {
		t.Fatal(err)
	}
	lib := store.Library()
	if p, ok := lib.PostBySlug("written"); !ok || p.Origin != content.OriginDesk || !strings.Contains(string(p.HTML), "<strong>Written here</strong>") {
		t.Fatalf("the desk's post: %+v %v", p, ok)
	}
	if p, _ := lib.PostBySlug("taken"); p.Title != "The file" || !store.FileSlug("taken") || store.FileSlug("written") {
		t.Fatalf("the slug a file uses is served as %q", p.Title)
	}
	if probs := strings.Join(store.Problems(), "\n"); !strings.Contains(probs, "desk: taken") {
		t.Fatalf("the desk post a file shadows is not listed: %q", probs)
	}
	if _, ok := lib.PostBySlug("later"); ok {
		t.Fatal("a held post is published")
	}
	if _, ok := lib.DraftBySlug("later"); !ok {
		t.Fatal("a held post is not a draft")
	}

	// Its time comes: the schedule reads the content again.
	at := time.Now().Add(300 * time.Millisecond)
	desk.next = &at
	if err := store.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	desk.docs[2].Hold, desk.next = false, nil
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { store.RunSchedule(sctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, ok := store.Library().PostBySlug("later"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduled post was not published at its time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
