package schema_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"blog/database"
	"blog/database/schema"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/accounts"
)

const ownerChallenges = 20261206010001

func isApplied(t *testing.T, db *database.DB, version int) bool {
	t.Helper()
	for _, v := range must(schema.Status(context.Background(), db)) {
		if v.Version == version {
			return v.Applied
		}
	}
	t.Fatalf("version %d is not known", version)
	return false
}

// TestOwnerChallengesUpDownUp applies the table of answered passkey challenges, rolls back to just before it
// (saying what that loses), and applies it again, on SQLite and PostgreSQL; the table works after each up.
func TestOwnerChallengesUpDownUp(t *testing.T) {
	for name, mk := range map[string]func(testing.TB) string{"sqlite": dbtest.SQLiteURL, "postgres": dbtest.PostgresURL} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := dbtest.Open(t, mk(t), false)
			use := func(hash string) {
				t.Helper()
				own := accounts.NewOwner(db)
				if err := own.UseChallenge(ctx, hash, time.Now().Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				if err := own.UseChallenge(ctx, hash, time.Now().Add(time.Minute)); !errors.Is(err, repo.ErrConflict) {
					t.Fatalf("a challenge used twice: %v, want ErrConflict", err)
				}
			}
			if err := schema.Up(ctx, db); err != nil {
				t.Fatal(err)
			}
			use("first")
			// Roll back whatever came later, then this step.
			for isApplied(t, db, ownerChallenges) {
				next, losses, _, err := schema.DownPlan(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				if next.Version == ownerChallenges {
					if len(losses) != 1 || losses[0].Table != "owner_challenges" || losses[0].Rows != 1 ||
						!strings.Contains(losses[0].What, "passkey challenges") {
						t.Fatalf("rolling back %d loses %+v; want the one answered challenge", ownerChallenges, losses)
					}
				}
				if err := schema.Down(ctx, db); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Repo().Count(ctx, "owner_challenges"); err == nil {
				t.Fatal("owner_challenges still exists after its rollback")
			}
			if _, err := db.Repo().Count(ctx, "owner_credentials"); err != nil {
				t.Fatalf("the owner's credentials went with the challenges: %v", err)
			}
			if err := schema.Up(ctx, db); err != nil {
				t.Fatal(err)
			}
			use("first") // forgotten by the rollback, as its loss said
		})
	}
}
