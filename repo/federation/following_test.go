package federation_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/federation"
	"blog/repo/posts"
)

// TestFollowingAndItsBoundedList shows on both databases a Follow recorded with its delivery in one transaction,
// the answer recorded only for the actor and Follow it names, the posts of followed actors kept within their
// bounds (the newest TimelinePerActor of one actor, the newest TimelineTotal of all, oldest dropped), an edit
// replacing a post and never another's, and an unfollow forgetting the actor's posts and queueing the Undo.
func TestFollowingAndItsBoundedList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := federation.New(db)
		ann := federation.Followee{ActorURI: "https://a.example/users/ann", Inbox: "https://a.example/users/ann/inbox", Handle: "@ann@a.example",
			FollowID: "https://blog.example/ap/actor#follows/1"}
		f, err := st.StartFollowing(ctx, ann, []byte(`{"type":"Follow"}`))
		if err != nil || f.State != federation.FollowPending {
			t.Fatalf("follow: %v %+v", err, f)
		}
		if ok, err := st.Answered(ctx, "https://evil.example/users/eve", ann.FollowID, true); err != nil || ok {
			t.Fatalf("another actor's Accept: %v %v", ok, err)
		}
		if ok, err := st.Answered(ctx, ann.ActorURI, "https://blog.example/ap/actor#follows/other", true); err != nil || ok {
			t.Fatalf("an Accept of another Follow: %v %v", ok, err)
		}
		if ok, err := st.Answered(ctx, ann.ActorURI, ann.FollowID, true); err != nil || !ok {
			t.Fatalf("the Accept: %v %v", ok, err)
		}
		if got, _ := st.Followee(ctx, "@ann@a.example"); got.State != federation.FollowAccepted {
			t.Fatalf("after the Accept: %+v", got)
		}
		// Following again keeps the row (and its acceptance) and sends a new Follow.
		ann.FollowID = "https://blog.example/ap/actor#follows/2"
		if again, err := st.StartFollowing(ctx, ann, []byte(`{"type":"Follow"}`)); err != nil || again.ID != f.ID || again.State != federation.FollowAccepted {
			t.Fatalf("following again: %v %+v", err, again)
		}
		if n, _ := db.Repo().Count(ctx, "fed_deliveries", where.Eq("inbox", ann.Inbox)); n != 2 {
			t.Fatalf("%d Follows queued, want 2", n)
		}

		start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		keep := func(actor string, i int) {
			t.Helper()
			if err := st.KeepPost(ctx, federation.TimelineItem{ActorURI: actor, ObjectURI: fmt.Sprintf("%s/posts/%d", actor, i),
				URL: fmt.Sprintf("%s/posts/%d", actor, i), Title: fmt.Sprint("Post ", i), Published: start.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range federation.TimelinePerActor + 7 {
			keep(ann.ActorURI, i)
		}
		if n, _ := db.Repo().Count(ctx, "fed_timeline", where.Eq("actor_uri", ann.ActorURI)); n != federation.TimelinePerActor {
			t.Fatalf("%d posts of one actor kept, want %d", n, federation.TimelinePerActor)
		}
		if posts, _ := st.Timeline(ctx, 1000); posts[len(posts)-1].Title != "Post 7" || posts[0].Title != fmt.Sprint("Post ", federation.TimelinePerActor+6) {
			t.Fatalf("kept from %q to %q: the oldest should go", posts[len(posts)-1].Title, posts[0].Title)
		}
		// Many actors: the newest TimelineTotal of all stay.
		for a := range federation.TimelineTotal/federation.TimelinePerActor + 1 {
			for i := range federation.TimelinePerActor {
				keep(fmt.Sprintf("https://m%d.example/u", a), 1000+i)
			}
		}
		if n, _ := db.Repo().Count(ctx, "fed_timeline"); n != federation.TimelineTotal {
			t.Fatalf("%d posts kept in all, want %d", n, federation.TimelineTotal)
		}
		// An edit replaces the post; another actor cannot change it.
		it := federation.TimelineItem{ActorURI: "https://m10.example/u", ObjectURI: "https://m10.example/u/posts/1000", URL: "https://m10.example/u/posts/1000",
			Title: "Edited", Published: start}
		st.KeepPost(ctx, it)
		it.ActorURI, it.Title = "https://m9.example/u", "Hijacked"
		st.KeepPost(ctx, it)
		var got federation.TimelineItem
		db.Repo().Find(ctx, &got, where.Eq("object_uri", it.ObjectURI))
		if got.Title != "Edited" {
			t.Fatalf("after an edit and another's: %q", got.Title)
		}
		if ok, _ := st.DropPost(ctx, it.ObjectURI, "https://m9.example/u"); ok {
			t.Fatal("another actor deleted a post")
		}
		if ok, _ := st.DropPost(ctx, it.ObjectURI, "https://m10.example/u"); !ok {
			t.Fatal("the author's deletion did not drop the post")
		}

		// Unfollowing forgets the actor's posts and queues the Undo.
		keep(ann.ActorURI, 5000)
		gone, err := st.StopFollowing(ctx, f.ID, func(f federation.Followee) []byte { return []byte(`{"type":"Undo","object":"` + f.FollowID + `"}`) })
		if err != nil || gone.ActorURI != ann.ActorURI {
			t.Fatalf("unfollow: %v %+v", err, gone)
		}
		if n, _ := db.Repo().Count(ctx, "fed_timeline", where.Eq("actor_uri", ann.ActorURI)); n != 0 {
			t.Fatalf("%d posts of an unfollowed actor kept", n)
		}
		if n, _ := db.Repo().Count(ctx, "fed_deliveries", where.Eq("inbox", ann.Inbox), where.Like("activity", "%Undo%")); n != 1 {
			t.Fatalf("%d Undos queued", n)
		}
		if _, err := st.StopFollowing(ctx, f.ID, nil); !errors.Is(err, repo.ErrNotFound) {
			t.Fatalf("unfollowing twice: %v", err)
		}
	})
}

// TestReplyPostReachesItsAuthorOnce shows a reply post's Create, Update and Delete queued to the author it answers
// besides the followers, and only once when the author's server follows the blog too.
func TestReplyPostReachesItsAuthorOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ids, err := posts.NewPosts(db).SyncPosts(ctx, []posts.PostRef{{Slug: "a", Title: "A"}, {Slug: "b", Title: "B"}})
		if err != nil {
			t.Fatal(err)
		}
		st := federation.New(db)
		st.Follow(ctx, federation.Follower{ActorURI: "https://f.example/u/1", Domain: "f.example", Inbox: "https://f.example/u/1/inbox",
			SharedInbox: "https://f.example/inbox"})
		act := func(kind string) ([]byte, error) { return []byte(`{"type":"` + kind + `"}`), nil }
		count := func(inbox string) int {
			n, _ := db.Repo().Count(ctx, "fed_deliveries", where.Eq("inbox", inbox))
			return n
		}
		author := federation.Target{Inbox: "https://m.example/inbox", Domain: "m.example"}
		st.AnnounceReply(ctx, ids["a"], "https://blog.example/posts/a", "h1", author, act)
		st.AnnounceReply(ctx, ids["a"], "https://blog.example/posts/a", "h2", author, act)
		st.Withdraw(ctx, ids["a"], []byte(`{"type":"Delete"}`))
		if a, f := count(author.Inbox), count("https://f.example/inbox"); a != 3 || f != 3 {
			t.Fatalf("author's inbox %d, followers' %d: want 3 each (Create, Update, Delete)", a, f)
		}
		// The author's server follows the blog: one delivery there, not two.
		st.AnnounceReply(ctx, ids["b"], "https://blog.example/posts/b", "h1", federation.Target{Inbox: "https://f.example/inbox", Domain: "f.example"}, act)
		if f := count("https://f.example/inbox"); f != 4 {
			t.Fatalf("followers' inbox %d, want 4", f)
		}
	})
}
