package notify_test

import (
	"context"
	"testing"

	"blog/internal/dbtest"
	"blog/notify"
	"blog/repo"
	"blog/repo/tallies"
)

// TestReactionsMailNobody: reactions to a comment whose author asked for replies, and to the post, with the owner
// told of every comment, send no mail: the marker mail that follows is the only new one.
func TestReactionsMailNobody(t *testing.T) {
	db := dbtest.SQLite(t)
	f := newFixture(t, db, func(c *notify.Config) { c.OwnerAll = true })
	ada := f.comment(t, "Ada", "ada@example.com", "Tell me about replies.", repo.StatePublished, 0, true)
	before := len(f.marker(t, "before"))
	store := tallies.New(db)
	for i, kind := range []string{"like", "love", "hooray"} {
		for _, target := range []int64{ada.ID, 0} {
			if _, err := store.Toggle(context.Background(), tallies.Toggle{PostID: f.post, CommentID: target, Kind: kind,
				Reader: "reader-number-" + string(rune('a'+i)) + "-0123456789"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	after := f.marker(t, "after")
	// The marker adds one mail to the owner (OWNER_NOTIFY=all) and its confirmation: nothing else.
	if got := len(after) - before; got != 2 {
		for _, m := range after[before:] {
			t.Logf("to %v: %s", m.To, m.Subject())
		}
		t.Fatalf("%d new mails after the reactions and the marker, want 2 (the marker's)", got)
	}
}
