package discussion_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-rel/rel"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/posts"
)

func seedPost(t *testing.T, db *database.DB, slug string) int64 {
	t.Helper()
	ids, err := posts.NewPosts(db).SyncPosts(context.Background(), []posts.PostRef{{Slug: slug, Title: "Title " + slug}})
	if err != nil {
		t.Fatalf("sync posts: %v", err)
	}
	return ids[slug]
}

// create stores a published comment.
func create(ctx context.Context, store *discussion.Comments, post int64, in repo.CommentInput) (repo.Comment, error) {
	c, _, err := store.CreateComment(ctx, repo.NewComment{PostID: post, Input: in})
	return c, err
}

func TestReturningCommenterReusesUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := discussion.NewComments(db)
		post := seedPost(t, db, "hello")
		first, err := create(ctx, store, post, repo.CommentInput{Username: "Ann", Email: "ann@example.com", Body: "one"}.Normalize())
		if err != nil {
			t.Fatalf("first comment: %v", err)
		}
		second, err := create(ctx, store, post, repo.CommentInput{Username: "Annie", Email: "ANN@Example.COM", Body: "two"}.Normalize())
		if err != nil {
			t.Fatalf("second comment: %v", err)
		}
		if first.UserID != second.UserID {
			t.Fatalf("user ids differ: %d and %d; want the same user for the same email in another case", first.UserID, second.UserID)
		}
		n, err := db.Repo().Count(ctx, "users")
		if err != nil || n != 1 {
			t.Fatalf("users = %d (%v), want 1", n, err)
		}
		u, err := store.FindUserByEmail(ctx, "Ann@EXAMPLE.com")
		if err != nil || u.Username != "Annie" {
			t.Fatalf("user = %+v (%v), want username Annie (the newest name)", u, err)
		}
		// Someone else typing Ann's email with a new name does not rename her earlier comment.
		got, err := store.FindCommentsByID(ctx, []int64{first.ID, second.ID})
		if err != nil || len(got) != 2 || got[0].Username != "Ann" || got[1].Username != "Annie" {
			t.Fatalf("comments = %+v (%v), want names Ann then Annie", got, err)
		}
	})
}

func TestCommentsNewestFirstWithAuthors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := discussion.NewComments(db)
		post := seedPost(t, db, "hello")
		other := seedPost(t, db, "other")
		authors := []string{"a@x.org", "b@x.org", "c@x.org", "a@x.org"}
		for i, email := range authors {
			if _, err := create(ctx, store, post, repo.CommentInput{Username: "user" + email[:1], Email: email, Body: "body " + string(rune('0'+i))}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := create(ctx, store, other, repo.CommentInput{Username: "z", Email: "z@x.org", Body: "elsewhere"}); err != nil {
			t.Fatal(err)
		}
		got, err := store.FindComments(ctx, repo.CommentFilter{PostID: post})
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, c := range got {
			bodies = append(bodies, c.Body)
			if c.User.Username == "" || c.User.ID != c.UserID {
				t.Errorf("comment %d has no author loaded: %+v", c.ID, c.User)
			}
			if c.CreatedAt.Location() != time.UTC || time.Since(c.CreatedAt) > time.Minute {
				t.Errorf("created_at = %v, want a recent UTC time", c.CreatedAt)
			}
		}
		if want := "body 3,body 2,body 1,body 0"; strings.Join(bodies, ",") != want {
			t.Fatalf("bodies = %v, want %s", bodies, want)
		}
		after, err := store.FindComments(ctx, repo.CommentFilter{PostID: post, AfterID: got[2].ID})
		if err != nil || len(after) != 2 {
			t.Fatalf("after filter: %d comments (%v), want 2", len(after), err)
		}
		stamps, err := store.PostStamps(ctx)
		if err != nil || stamps[post] != (repo.Stamp{Seq: 4, Count: 4}) || stamps[other] != (repo.Stamp{Seq: 1, Count: 1}) {
			t.Fatalf("stamps = %v (%v), want seq/count 4/4 and 1/1", stamps, err)
		}
	})
}

func TestConstraintErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		u := repo.User{Username: "a", Email: "dup@x.org", CreatedAt: time.Now().UTC()}
		if err := db.Repo().Insert(ctx, &u); err != nil {
			t.Fatal(err)
		}
		dup := repo.User{Username: "b", Email: "dup@x.org", CreatedAt: time.Now().UTC()}
		err := db.Repo().Insert(ctx, &dup)
		if !errors.Is(err, rel.ErrUniqueConstraint) {
			t.Fatalf("duplicate email: err = %v, want a rel unique constraint error", err)
		}
		c := repo.Comment{PostID: 999999, UserID: u.ID, Body: "x", CreatedAt: time.Now().UTC()}
		err = db.Repo().Insert(ctx, &c)
		if !errors.Is(err, rel.ErrForeignKeyConstraint) {
			t.Fatalf("unknown post: err = %v, want a rel foreign key constraint error", err)
		}
		_, err = create(ctx, discussion.NewComments(db), 999999, repo.CommentInput{Username: "a", Email: "new@x.org", Body: "x"})
		if !errors.Is(err, repo.ErrConflict) {
			t.Fatalf("CreateComment on unknown post: err = %v, want ErrConflict", err)
		}
		if n, _ := db.Repo().Count(ctx, "users"); n != 1 {
			t.Fatalf("users = %d after a failed comment, want 1 (the transaction must roll back)", n)
		}
	})
}

func TestConcurrentFirstCommentsShareOneUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := discussion.NewComments(db)
		post := seedPost(t, db, "hello")
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				email := []string{"Same@x.org", "same@X.org"}[i%2]
				_, err := create(ctx, store, post, repo.CommentInput{Username: "s", Email: email, Body: "hi"}.Normalize())
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent comment: %v", err)
			}
		}
		if n, _ := db.Repo().Count(ctx, "users"); n != 1 {
			t.Fatalf("users = %d, want 1", n)
		}
		if n, _ := db.Repo().Count(ctx, "comments"); n != 16 {
			t.Fatalf("comments = %d, want 16", n)
		}
	})
}

// An email typed with a decomposed accent (e + U+0301) is the same commenter as the composed one.
func TestEmailsAreComparedComposed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := discussion.NewComments(db)
		post := seedPost(t, db, "hello")
		a, err := create(ctx, store, post, repo.CommentInput{Username: "Zoé", Email: "zo\u00e9@example.com", Body: "one"}.Normalize())
		if err != nil {
			t.Fatal(err)
		}
		b, err := create(ctx, store, post, repo.CommentInput{Username: "Zoe\u0301", Email: "ZOE\u0301@example.com", Body: "two"}.Normalize())
		if err != nil {
			t.Fatal(err)
		}
		if a.UserID != b.UserID || b.Username != "Zo\u00e9" {
			t.Fatalf("users %d and %d, name %q: want one commenter and a composed name", a.UserID, b.UserID, b.Username)
		}
	})
}

// The store's part of a comment POST on SQLite, one writer: what the write queue serialises.
func BenchmarkCreateComment(b *testing.B) {
	db := dbtest.SQLite(b)
	store := discussion.NewComments(db)
	ids, err := posts.NewPosts(db).SyncPosts(context.Background(), []posts.PostRef{{Slug: "bench", Title: "Bench"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	body := strings.Repeat("A comment of a few hundred characters, with a [link](https://example.com).\n\n", 4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		in := repo.CommentInput{Username: "Bench", Email: fmt.Sprintf("bench%d@example.com", i%20), Body: body}
		if _, _, err := store.CreateComment(ctx, repo.NewComment{PostID: ids["bench"], Input: in}); err != nil {
			b.Fatal(err)
		}
	}
}
