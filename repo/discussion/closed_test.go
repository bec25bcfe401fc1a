package discussion_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/posts"
)

// A post closed to comments refuses every new comment from readers (top-level and replies) in the comment's own
// transaction, keeps the owner's, and each way of closing or opening it (its file, the owner's choice, its time
// passing) is recorded once in its feed, where pages follow it.
func TestClosedPostRefusesNewComments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := discussion.NewComments(db)
		postStore := posts.NewPosts(db)
		post := seedPost(t, db, "closing")
		reader := repo.CommentInput{Username: "Ann", Email: "ann@example.com", Body: "first"}.Normalize()
		first, err := create(ctx, store, post, reader)
		if err != nil {
			t.Fatalf("comment while open: %v", err)
		}
		feedKinds := func() []string {
			changes, err := store.FindChanges(ctx, post, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, ch := range changes {
				kinds = append(kinds, ch.Kind)
			}
			return kinds
		}
		countComments := func() int {
			n, err := db.Repo().Count(ctx, "comments")
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		p, err := postStore.SetComments(ctx, "closing", repo.CommentsClosed, repo.Action{Actor: repo.ActorCLI, Name: "comments-close"})
		if err != nil || !p.Closed(time.Now()) {
			t.Fatalf("close = %+v, %v; want closed", p, err)
		}
		before := countComments()
		for _, n := range []repo.NewComment{
			{PostID: post, Input: reader},
			{PostID: post, Input: reader, ParentID: first.ID},
		} {
			if _, _, err := store.CreateComment(ctx, n); !errors.Is(err, repo.ErrClosed) {
				t.Fatalf("comment on a closed post (parent %d): err = %v, want ErrClosed", n.ParentID, err)
			}
		}
		if got := countComments(); got != before {
			t.Fatalf("comments = %d after refusals, want %d (nothing stored)", got, before)
		}
		owned := repo.CommentInput{Username: "Owner", Email: "owner@invalid", Body: "still answering"}
		if _, _, err := store.CreateComment(ctx, repo.NewComment{PostID: post, Input: owned, ByOwner: true, ParentID: first.ID}); err != nil {
			t.Fatalf("the owner's reply on a closed post: %v, want it taken", err)
		}
		st, err := store.PostStamp(ctx, post)
		if err != nil || !st.Closed {
			t.Fatalf("stamp = %+v, %v; want closed", st, err)
		}
		// Closing twice records nothing more; opening records once.
		if _, err := postStore.SetComments(ctx, "closing", repo.CommentsClosed, repo.Action{Actor: repo.ActorCLI, Name: "comments-close"}); err != nil {
			t.Fatal(err)
		}
		if _, err := postStore.SetComments(ctx, "closing", repo.CommentsOpen, repo.Action{Actor: repo.ActorCLI, Name: "comments-open"}); err != nil {
			t.Fatal(err)
		}
		if _, err := create(ctx, store, post, reader); err != nil {
			t.Fatalf("comment after reopening: %v", err)
		}
		want := []string{repo.ChangeCreated, repo.ChangePost, repo.ChangeCreated, repo.ChangePost, repo.ChangeCreated}
		if got := feedKinds(); !equal(got, want) {
			t.Fatalf("feed = %v, want %v", got, want)
		}
		var audit []repo.AuditEntry
		if err := db.Repo().FindAll(ctx, &audit); err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range audit {
			if e.Actor == repo.ActorCLI {
				actions = append(actions, e.Action+" "+e.Detail)
			}
		}
		if len(actions) != 3 || actions[0] != "comments-close closing: closed by the owner" || actions[2] != "comments-open closing: open to comments" {
			t.Fatalf("audit = %q, want close, close, open with the post and its state", actions)
		}
		if _, err := postStore.SetComments(ctx, "nope", repo.CommentsClosed, repo.Action{Actor: repo.ActorCLI}); !errors.Is(err, repo.ErrNotFound) {
			t.Fatalf("unknown slug: %v, want ErrNotFound", err)
		}
	})
}

func TestPostClosedByFileAndTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := discussion.NewComments(db)
		postStore := posts.NewPosts(db)
		reader := repo.CommentInput{Username: "Ann", Email: "ann@example.com", Body: "hello"}.Normalize()
		soon := time.Now().Add(2 * time.Second)
		ids, err := postStore.SyncPosts(ctx, []posts.PostRef{
			{Slug: "by-file", Title: "By file", Closed: true},
			{Slug: "by-time", Title: "By time", CloseAt: &soon},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := create(ctx, store, ids["by-file"], reader); !errors.Is(err, repo.ErrClosed) {
			t.Fatalf("comment on a post its file closes: %v, want ErrClosed", err)
		}
		if _, err := create(ctx, store, ids["by-time"], reader); err != nil {
			t.Fatalf("comment before the time passes: %v", err)
		}
		// Nothing has been noted yet for by-time; once its time passes a comment is refused at once, before
		// anything is recorded, and NoteClosings records it once however often it runs.
		for time.Now().Before(soon.Add(time.Second)) {
			time.Sleep(100 * time.Millisecond)
		}
		if _, err := create(ctx, store, ids["by-time"], reader); !errors.Is(err, repo.ErrClosed) {
			t.Fatalf("comment after the time passed: %v, want ErrClosed", err)
		}
		for i, want := range []int{1, 0} {
			if n, err := postStore.NoteClosings(ctx, time.Now()); err != nil || n != want {
				t.Fatalf("NoteClosings run %d = %d, %v; want %d", i, n, err, want)
			}
		}
		changes, err := store.FindChanges(ctx, ids["by-time"], 0, 10)
		if err != nil || len(changes) != 2 || changes[1].Kind != repo.ChangePost || !changes[1].Closed {
			t.Fatalf("changes = %+v, %v; want the comment then the post closing", changes, err)
		}
		// The owner opens it again: the time no longer closes it, and a sync with the same file changes nothing.
		if _, err := postStore.SetComments(ctx, "by-time", repo.CommentsOpen, repo.Action{Actor: repo.ActorOwner, Name: "comments-open"}); err != nil {
			t.Fatal(err)
		}
		if _, err := postStore.SyncPosts(ctx, []posts.PostRef{{Slug: "by-time", Title: "By time", CloseAt: &soon}}); err != nil {
			t.Fatal(err)
		}
		if _, err := create(ctx, store, ids["by-time"], reader); err != nil {
			t.Fatalf("comment once the owner opened it: %v", err)
		}
		// The file stops closing by-file: the sync records it open.
		if _, err := postStore.SyncPosts(ctx, []posts.PostRef{{Slug: "by-file", Title: "By file"}}); err != nil {
			t.Fatal(err)
		}
		changes, err = store.FindChanges(ctx, ids["by-file"], 0, 10)
		if err != nil || len(changes) != 2 || changes[1].Closed {
			t.Fatalf("by-file changes = %+v, %v; want closed at first sync, then open", changes, err)
		}
		if _, err := create(ctx, store, ids["by-file"], reader); err != nil {
			t.Fatalf("comment once the file opened it: %v", err)
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
