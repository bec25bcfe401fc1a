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
	"blog/repo/posts"
	"blog/repo/review"
)

func applied(t *testing.T, db *database.DB) int {
	t.Helper()
	st, err := schema.Status(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range st {
		if v.Applied {
			n++
		}
	}
	return n
}

func TestUpDownUpAgain(t *testing.T) {
	urls := map[string]func(testing.TB) string{"sqlite": dbtest.SQLiteURL, "postgres": dbtest.PostgresURL}
	for name, mk := range urls {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := dbtest.Open(t, mk(t), false)
			total := len(must(schema.Status(ctx, db)))
			if applied(t, db) != 0 {
				t.Fatal("fresh database has applied versions")
			}
			if err := schema.Up(ctx, db); err != nil {
				t.Fatal(err)
			}
			if applied(t, db) != total {
				t.Fatalf("after up: %d of %d applied", applied(t, db), total)
			}
			useSchema(t, db)
			for i := total; i > 0; i-- {
				if err := schema.Down(ctx, db); err != nil {
					t.Fatalf("down from %d: %v", i, err)
				}
				if applied(t, db) != i-1 {
					t.Fatalf("after down: %d applied, want %d", applied(t, db), i-1)
				}
			}
			for _, table := range []string{"users", "posts", "comments"} {
				if _, err := db.Repo().Count(ctx, table); err == nil {
					t.Errorf("table %s still exists after rolling everything back", table)
				}
			}
			if err := schema.Down(ctx, db); err != nil {
				t.Fatalf("down with nothing applied: %v", err)
			}
			if err := schema.Up(ctx, db); err != nil {
				t.Fatal(err)
			}
			useSchema(t, db)
		})
	}
}

// useSchema writes and reads through every table, so a migration that "succeeds" with a wrong column fails here.
func useSchema(t *testing.T, db *database.DB) {
	t.Helper()
	ctx := context.Background()
	ids, err := posts.NewPosts(db).SyncPosts(ctx, []posts.PostRef{{Slug: "p", Title: "P"}})
	if err != nil {
		t.Fatal(err)
	}
	store := review.NewComments(db)
	in := repo.CommentInput{Username: "a", Email: "a@b.co", Body: "x"}
	c, _, err := store.CreateComment(ctx, repo.NewComment{PostID: ids["p"], Input: in, IPHash: "h", NetHash: "n"})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := store.FindComments(ctx, repo.CommentFilter{PostID: ids["p"]})
	if err != nil || len(cs) != 1 || cs[0].Username != "a" || cs[0].State != repo.StatePublished || time.Since(cs[0].CreatedAt) > time.Minute {
		t.Fatalf("comments = %+v, %v", cs, err)
	}
	if _, err := store.SetState(ctx, []int64{c.ID}, repo.StateDeleted, "test", repo.Action{Actor: repo.ActorCLI, Name: "delete"}); err != nil {
		t.Fatal(err)
	}
	changes, err := store.FindChanges(ctx, ids["p"], 0, 10)
	if err != nil || len(changes) != 2 || changes[1].Comment.State != repo.StateDeleted || changes[1].Count != 0 {
		t.Fatalf("changes = %+v, %v", changes, err)
	}
	if _, err := review.NewBans(db).Add(ctx, repo.Ban{Kind: repo.BanEmail, Value: "a@b.co", Label: "a@b.co"}, repo.Action{Actor: "cli", Name: "ban"}); err != nil {
		t.Fatal(err)
	}
	if entries, err := repo.NewAudit(db).List(ctx, 0, 10); err != nil || len(entries) != 2 {
		t.Fatalf("audit = %+v, %v", entries, err)
	}
	own := accounts.NewOwner(db)
	if err := own.NewSetupToken(ctx, "hash"); err != nil {
		t.Fatal(err)
	}
	if _, err := own.Claim(ctx, "hash", accounts.Credential{Kind: accounts.CredentialPassword, Name: "password", Secret: "x"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := own.CreateSession(ctx, accounts.Session{TokenHash: "s", Method: "password", CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := own.FindSession(ctx, "s"); err != nil {
		t.Fatal(err)
	}
}

func TestNewerDatabaseIsRefused(t *testing.T) {
	ctx := context.Background()
	db := dbtest.SQLite(t)
	if _, err := db.SQL().Exec(`INSERT INTO rel_schema_versions (version, created_at, updated_at) VALUES (29990101000000, '2026-01-01', '2026-01-01')`); err != nil {
		t.Fatal(err)
	}
	for name, fn := range map[string]func(context.Context, *database.DB) error{"up": schema.Up, "down": schema.Down} {
		if err := fn(ctx, db); !errors.Is(err, schema.ErrNewerDatabase) {
			t.Errorf("%s: err = %v, want ErrNewerDatabase", name, err)
		}
	}
	if _, err := schema.Pending(ctx, db); !errors.Is(err, schema.ErrNewerDatabase) {
		t.Errorf("pending: err = %v", err)
	}
}

func TestMigrationFailureIsAnErrorNotAPanic(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t, dbtest.SQLiteURL(t), false)
	// A table in the way makes the first migration's CREATE TABLE fail inside go-rel/migration, which panics.
	if _, err := db.SQL().Exec(`CREATE TABLE users (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	err := schema.Up(ctx, db)
	if err == nil {
		t.Fatal("want an error")
	}
	if applied(t, db) != 0 {
		t.Fatalf("a failed migration was recorded as applied")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestColumnsAddedToTablesWithRows: every migration that adds a column to posts or comments works when they
// hold rows, as they do on every blog being upgraded (go-rel/postgres dropped an empty-string default, so a
// NOT NULL column added to existing rows failed there), and a row inserted without naming those columns gets
// their defaults.
func TestColumnsAddedToTablesWithRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		useSchema(t, db)
		downTo(t, db, 20261127000005) // comments.state: the first column added to a table that had rows
		if err := schema.Up(ctx, db); err != nil {
			t.Fatalf("up again with posts and comments in the tables: %v", err)
		}
		if _, _, err := db.Repo().Exec(ctx, "INSERT INTO posts (slug, title, created_at) VALUES ('raw', 'Raw', CURRENT_TIMESTAMP)"); err != nil {
			t.Fatalf("a post inserted without naming the added columns: %v", err)
		}
		if db.Dialect() != database.Postgres {
			return
		}
		// A PostgreSQL blog that added them to empty tables, before their SQL was written out, has no default:
		// set_empty_defaults gives it one.
		for _, col := range []string{"posts.comments_override", "comments.source_url", "comments.author_url", "comments.mention_kind"} {
			table, column, _ := strings.Cut(col, ".")
			if _, _, err := db.Repo().Exec(ctx, "ALTER TABLE "+table+" ALTER COLUMN "+column+" DROP DEFAULT"); err != nil {
				t.Fatal(err)
			}
		}
		downTo(t, db, 20261208050001)
		if err := schema.Up(ctx, db); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.Repo().Exec(ctx, "INSERT INTO posts (slug, title, created_at) VALUES ('raw2', 'Raw', CURRENT_TIMESTAMP)"); err != nil {
			t.Fatalf("a post inserted without naming the added columns, after set_empty_defaults: %v", err)
		}
	})
}
