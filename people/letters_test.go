package people_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/subscribers"
)

// TestEraseForgetsTheNewsletter: erasing an address removes its subscription to new posts by email too, in
// whatever spelling it subscribed.
func TestEraseForgetsTheNewsletter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		letters := subscribers.New(db)
		f.svc.Subscriptions = letters
		now := time.Now().UTC()
		if _, _, err := letters.Import(ctx, []subscribers.Subscriber{{Email: "ada+news@example.com", Source: "form", ConfirmedAt: &now, CreatedAt: now},
			{Email: "bob@example.com", Source: "form", ConfirmedAt: &now, CreatedAt: now}}); err != nil {
			t.Fatal(err)
		}
		f.comment(t, "Ada", "ada@example.com", "Hello.", 0, "")
		// What is held names the subscription, in the download too; someone who only subscribed is held too.
		held, err := f.svc.Held(ctx, "ada@example.com")
		if err != nil || held.Posts == nil || held.Export().Mail.Posts == nil || held.Export().Mail.Posts.ConfirmedAt == nil ||
			!strings.Contains(string(held.Export().JSON()), `"new_posts"`) {
			t.Fatalf("held: %+v, %v", held.Posts, err)
		}
		if only, err := f.svc.Held(ctx, "bob@example.com"); err != nil || only.Empty() || only.Posts == nil {
			t.Fatalf("a subscriber who never commented: empty %v, %v", only.Empty(), err)
		}
		res, err := f.svc.Erase(ctx, repo.ActorAuthor, "ada@example.com")
		if err != nil || res.Messages < 1 {
			t.Fatalf("erase: %+v %v", res, err)
		}
		if _, found, _ := letters.Find(ctx, "ada@example.com"); found {
			t.Fatal("the newsletter subscription survived the erasure")
		}
		if _, found, _ := letters.Find(ctx, "bob@example.com"); !found {
			t.Fatal("someone else's subscription went")
		}
		if after, err := f.svc.Held(ctx, "ada@example.com"); err != nil || after.Posts != nil {
			t.Fatalf("after the erasure: %+v, %v", after.Posts, err)
		}
	})
}
