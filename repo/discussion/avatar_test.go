package discussion_test

import (
	"context"
	"testing"

	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/discussion"
)

// TestAvatarsAreKeyed checks that a store given the site's avatar key gives every comment it returns its
// author's avatar, the same for one address in any letter case, different for another key, and none without a key.
func TestAvatarsAreKeyed(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	post := seedPost(t, db, "hello")
	keyed := discussion.NewComments(db, discussion.AvatarKey([]byte("site key 0123456789")))
	a, err := create(ctx, keyed, post, repo.CommentInput{Username: "Ann", Email: "ann@example.com", Body: "one"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := create(ctx, keyed, post, repo.CommentInput{Username: "Ann", Email: "ANN@example.com", Body: "two"}.Normalize())
	c, _ := create(ctx, keyed, post, repo.CommentInput{Username: "Bob", Email: "bob@example.com", Body: "three"})
	if a.User.Avatar == "" || a.User.Avatar != b.User.Avatar || a.User.Avatar == c.User.Avatar {
		t.Fatalf("avatars %q %q %q: want one per address, set on the comment just written", a.User.Avatar, b.User.Avatar, c.User.Avatar)
	}
	read, err := keyed.FindCommentsByID(ctx, []int64{a.ID, b.ID})
	if err != nil || read[0].User.Avatar != a.User.Avatar || read[1].User.Avatar != a.User.Avatar {
		t.Fatalf("read back: %+v (%v)", read, err)
	}
	other, _ := discussion.NewComments(db, discussion.AvatarKey([]byte("another site 012345"))).FindComment(ctx, a.ID)
	if other.User.Avatar == a.User.Avatar {
		t.Fatal("another key draws the same avatar: the key is not used")
	}
	if bare, _ := discussion.NewComments(db).FindComment(ctx, a.ID); bare.User.Avatar != "" {
		t.Fatalf("a store without the key computed an avatar: %q", bare.User.Avatar)
	}
}
