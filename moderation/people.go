package moderation

import (
	"context"
	"fmt"

	"blog/repo"
	"blog/repo/review"
)

// Commenter returns everything the comment store holds about an address: its user row, its comments in every
// state, their earlier texts.
func (s *Service) Commenter(ctx context.Context, email string) (review.Commenter, error) {
	return s.Comments.Commenter(ctx, email)
}

// EraseCommenter erases what the comment store holds about an address, for its owner (from the signed link
// mailed to it), the blog's owner (the console) or the command line: every comment of it deleted, its text,
// name and address hashes wiped, its earlier texts and its user row removed. A conversation it started keeps
// its place as "Comment removed". The audit trail records that an erasure happened, by whom and to which
// comments, never the address.
func (s *Service) EraseCommenter(ctx context.Context, actor, email string) (review.Erased, error) {
	held, err := s.Comments.Commenter(ctx, email)
	if err != nil {
		return review.Erased{}, err
	}
	detail := fmt.Sprintf("a commenter's data erased at their request: %d comment(s)", len(held.Comments))
	return s.Comments.EraseCommenter(ctx, email, repo.Action{Actor: actor, Name: "erase", Detail: detail})
}
