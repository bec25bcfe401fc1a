package importer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"blog/database"
	"blog/importer"
	"blog/internal/dbtest"
	"blog/moderation"
	"blog/repo"
	"blog/repo/review"
	"blog/repo/transfer"
	"blog/spam"
)

// TestImportedCommentsPassTheRules checks that a comment another system published passes this blog's bans and
// spam rules on its way in, as a new comment does, with the reason the console shows; that the form's timestamp
// and the moderation mode (it came through no form, and was published there) do not hold the rest; and that the
// dry run counts what the rules would hold.
func TestImportedCommentsPassTheRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newSite(t, db)
		mod := &moderation.Service{Comments: review.NewComments(db), BanStore: review.NewBans(db), Mode: moderation.ModeAll,
			Rules: spam.Rules{Stamps: true, MinAge: 3 * time.Second, Words: spam.ParseWords("marche")}}
		if _, _, err := mod.Ban(ctx, "owner", moderation.BanRequest{Kind: repo.BanEmail, Value: "grace@example.com"}); err != nil {
			t.Fatal(err)
		}
		screen := func(ctx context.Context, email, name, body string) (string, string, error) {
			d, err := mod.ScreenHistory(ctx, email, name, body)
			return d.State, d.Reason, err
		}
		run := func(dry bool) *importer.Report {
			r, err := importer.Run(ctx, transfer.NewImports(db), importer.Options{From: "disqus", Path: "testdata/disqus.xml",
				Posts: s.posts, DryRun: dry, Screen: screen})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		plan := run(true)
		if plan.Held != 2 || !strings.Contains(printed(plan), "held by this blog's rules (a ban, too many links, a listed word): 2") {
			t.Fatalf("the dry run counts %d held, want 2:\n%s", plan.Held, printed(plan))
		}
		done := run(false)
		if done.Held != 2 || done.Hidden != 4 {
			t.Fatalf("import: %d held and %d hidden, want 2 and 4 (the source's spam and deleted ones too)", done.Held, done.Hidden)
		}
		cs := s.all(t, "hello-world")
		banned, listed, first := byBody(t, cs, "Thanks Ada"), byBody(t, cs, "Ça marche"), byBody(t, cs, "First!")
		if banned.State != repo.StateSpam || !strings.HasPrefix(banned.Reason, "on import, banned email") {
			t.Errorf("the banned commenter's comment: %s %q, want spam, on import, banned", banned.State, banned.Reason)
		}
		if listed.State != repo.StatePending || !strings.Contains(listed.Reason, `on import, held: contains the listed word "marche"`) {
			t.Errorf("the comment with a listed word: %s %q, want pending with the word", listed.State, listed.Reason)
		}
		if first.State != repo.StatePublished {
			t.Errorf("a comment no rule holds: %s %q, want published (no form timestamp, MODERATION=all)", first.State, first.Reason)
		}
	})
}
