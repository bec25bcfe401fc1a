package desk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"blog/database"
	"blog/desk"
	"blog/internal/dbtest"
	"blog/repo/writing"
)

var ctx = context.Background()

func TestSlugify(t *testing.T) {
	for _, tt := range []struct{ title, want string }{
		{"Hello, World!", "hello-world"},
		{"  Ünïcode — and “quotes”  ", "unicode-and-quotes"},
		{"日本語", ""},
		{"Go 1.26: what's new?", "go-1-26-what-s-new"},
		{strings.Repeat("word ", 30), strings.TrimSuffix(strings.Repeat("word-", 12), "-")},
	} {
		if got := desk.Slugify(tt.title); got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.title, got, tt.want)
		}
	}
}

func TestFollowsTitle(t *testing.T) {
	for _, tt := range []struct {
		slug, title string
		want        bool
	}{
		{"hello-world", "Hello, world", true}, {"hello-world-2", "Hello, world", true}, {"hello-world-x", "Hello, world", false},
		{"hello-world-", "Hello, world", false}, {"untitled-3", "", true}, {"my-own", "Hello, world", false},
	} {
		if got := desk.FollowsTitle(tt.slug, tt.title); got != tt.want {
			t.Errorf("FollowsTitle(%q, %q) = %v", tt.slug, tt.title, got)
		}
	}
}

// TestDocumentRoundTrip: a post's fields written as a document read back the same, whatever they hold.
func TestDocumentRoundTrip(t *testing.T) {
	d := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, w := range []writing.Writing{
		{Title: "A: title # with 'quotes' and \"more\"", Date: &d, Summary: "- a dash first", Tags: "go, web dev", Image: "card.png", Comments: "closed", Lang: "pt-BR", InReplyTo: "https://example.social/@ann/1", Body: "Text.\n\n---\n\nAfter a rule.\n"},
		{Title: "yes", Date: &day, Body: ""},
		{Title: "---", Date: &day, Body: "---\n"},
	} {
		src := desk.Document(w, false, nil)
		p, err := desk.ParseDocument([]byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		got := p.Writing
		if got.Title != w.Title || !got.Date.Equal(*w.Date) || got.Summary != w.Summary || got.Tags != w.Tags ||
			got.Image != w.Image || got.Comments != w.Comments || got.Lang != w.Lang || got.InReplyTo != w.InReplyTo || got.Body != w.Body || p.Draft {
			t.Errorf("%q read back as %+v", src, got)
		}
		if desk.Document(got, false, nil) != src {
			t.Errorf("written again, %q differs", src)
		}
	}
}

// TestPreviewKeepsHighlightedBlocks: the preview renders the same however often it is asked (the highlighted
// blocks are kept), and a changed block is highlighted again.
func TestPreviewKeepsHighlightedBlocks(t *testing.T) {
	a, err := desk.Preview("```go\nfunc a() {}\n```\n")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := desk.Preview("```go\nfunc a() {}\n```\n")
	other, _ := desk.Preview("```go\nfunc b() {}\n```\n")
	if a != again || !strings.Contains(string(a), `class="chroma"`) || !strings.Contains(string(other), ">b<") || a == other {
		t.Fatalf("previews: %s / %s / %s", a, again, other)
	}
}

// TestVersionsAreKeptAndBounded: autosaves within a few minutes share a version, a saved version is always new,
// and no post keeps more than MaxVersions. SQLite and PostgreSQL.
func TestVersionsAreKeptAndBounded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := &desk.Service{Store: writing.New(db)}
		w, _, err := s.Create(ctx, desk.Input{Title: "Versions"})
		if err != nil {
			t.Fatal(err)
		}
		count := func() int {
			vs, err := s.Versions(ctx, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(vs)
		}
		for i := range 5 {
			if _, _, err := s.Save(ctx, w.ID, desk.Input{Title: "Versions", Body: strings.Repeat("typed ", i+1)}, writing.VersionAutosave); err != nil {
				t.Fatal(err)
			}
		}
		if n := count(); n != 2 {
			t.Fatalf("after five autosaves: %d versions, want 2 (the first save and one autosave)", n)
		}
		if _, _, err := s.Save(ctx, w.ID, desk.Input{Title: "Versions", Body: "saved"}, writing.VersionSaved); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 3 {
			t.Fatalf("after a save: %d versions, want 3", n)
		}
		for i := range writing.MaxVersions + 5 {
			if _, _, err := s.Save(ctx, w.ID, desk.Input{Title: "Versions", Body: strings.Repeat("x", i+1)}, writing.VersionSaved); err != nil {
				t.Fatal(err)
			}
		}
		vs, _ := s.Versions(ctx, w.ID)
		if len(vs) != writing.MaxVersions {
			t.Fatalf("%d versions kept, want %d", len(vs), writing.MaxVersions)
		}
		if p, _ := desk.ParseDocument([]byte(vs[0].Document)); p.Writing.Body != strings.Repeat("x", writing.MaxVersions+5) {
			t.Fatal("the newest version is not the last save")
		}
	})
}

// TestPurgeDeletesOnlyOldDeletedPosts: a post deleted longer ago than PURGE_AFTER goes for good, one deleted
// since stays restorable. SQLite and PostgreSQL.
func TestPurgeDeletesOnlyOldDeletedPosts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		now := time.Now()
		s := &desk.Service{Store: writing.New(db), Now: func() time.Time { return now }}
		old, _, _ := s.Create(ctx, desk.Input{Title: "Old"})
		recent, _, _ := s.Create(ctx, desk.Input{Title: "Recent"})
		kept, _, _ := s.Create(ctx, desk.Input{Title: "Kept"})
		now = now.Add(-40 * 24 * time.Hour)
		if _, err := s.Delete(ctx, old.ID); err != nil {
			t.Fatal(err)
		}
		now = time.Now()
		if _, err := s.Delete(ctx, recent.ID); err != nil {
			t.Fatal(err)
		}
		n, err := s.Purge(ctx, 30*24*time.Hour)
		if err != nil || n != 1 {
			t.Fatalf("purge: %d, %v; want 1", n, err)
		}
		if _, err := s.Find(ctx, old.ID); !desk.IsNotFound(err) {
			t.Fatal("the old deleted post is still there")
		}
		for _, w := range []writing.Writing{recent, kept} {
			if _, err := s.Find(ctx, w.ID); err != nil {
				t.Fatalf("%s: %v", w.Title, err)
			}
		}
		if vs, _ := writing.New(db).Versions(ctx, old.ID); len(vs) != 0 {
			t.Fatal("the purged post's versions are kept")
		}
	})
}
