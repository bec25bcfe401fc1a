package review_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/review"
)

// TestReplyAndAuthorDeleteDoNotBothWin races a reply to a comment against its author deleting it, many times, on
// both databases: either the delete wins and the reply is refused, or the reply is stored and the delete refused.
// Never a reply stored under a comment deleted a moment earlier.
func TestReplyAndAuthorDeleteDoNotBothWin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := review.NewComments(db)
		post := seedPost(t, db, "race")
		top, err := create(ctx, store, post, repo.CommentInput{Username: "Ann", Email: "ann@example.com", Body: "top"})
		if err != nil {
			t.Fatal(err)
		}
		for round := range 40 {
			// Every other round the contested comment is a reply itself, so its conversation's root is locked too.
			parent := repo.NewComment{PostID: post, Input: repo.CommentInput{Username: "Bob", Email: "bob@example.com", Body: "contested"}}
			if round%2 == 1 {
				parent.ParentID = top.ID
			}
			p, _, err := store.CreateComment(ctx, parent)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var replyErr, deleteErr error
			start := make(chan struct{})
			wg.Go(func() {
				<-start
				_, _, replyErr = store.CreateComment(ctx, repo.NewComment{PostID: post, ParentID: p.ID,
					Input: repo.CommentInput{Username: "Cy", Email: "cy@example.com", Body: "an answer"}})
			})
			wg.Go(func() {
				<-start
				_, deleteErr = store.AuthorDelete(ctx, p.ID)
			})
			close(start)
			wg.Wait()
			var bad repo.BadParentError
			switch {
			case replyErr == nil && errors.Is(deleteErr, repo.ErrHasReplies):
			case deleteErr == nil && errors.As(replyErr, &bad):
			default:
				t.Fatalf("round %d: reply %v, delete %v: want exactly one to win", round, replyErr, deleteErr)
			}
		}
	})
}
