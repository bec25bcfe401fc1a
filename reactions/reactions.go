// Package reactions holds the rules of readers' reactions: which kinds there are (repo.ReactionKinds), who may
// react (not a banned address or network, nor a browser that posted comments under a banned email), how often (Limit per client, an IPv6 /64 counting as one), and that
// a reader gives at most one of each kind to a comment or a post and takes it back by pressing again. A
// reaction is not a comment: it is never held, never screened by the spam rules and never mailed to anyone; it
// reaches open pages through the change feed like everything they show. No HTTP, no pages.
package reactions

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"blog/clientip"
	"blog/repo"
	"blog/repo/review"
	"blog/repo/tallies"
)

// Limit bounds how many reactions one client may give in Window: enough for a reader going through a long
// conversation, not for a program. Taking a reaction back counts with the one it takes back.
const (
	Limit  = 30
	Window = time.Minute
)

// Store is what the rules need from the reaction store.
type Store interface {
	Toggle(ctx context.Context, t tallies.Toggle) (tallies.Result, error)
	Summary(ctx context.Context, limit int) ([]tallies.PostTally, error)
	TopComments(ctx context.Context, postID int64, limit int) ([]repo.Comment, error)
}

// Authors is what the rules need from the comment store: the comments a browser says it posted, with their
// authors' emails, so that a ban of an email applies to the reactions of the browser that commented with it.
type Authors interface {
	FindCommentsByID(ctx context.Context, ids []int64) ([]repo.Comment, error)
}

// Bans is what the rules need from the ban store.
type Bans interface {
	Match(ctx context.Context, email, ipHash, netHash string) (repo.Ban, bool, error)
}

var (
	_ Store = (*tallies.Store)(nil)
	_ Bans  = (*review.Bans)(nil)
)

// Service applies the rules to every reaction, whichever way it comes.
type Service struct {
	Store Store
	Bans  Bans
	// Authors, when set, finds the emails of the comments a reader's browser posted (Press.Authored).
	Authors Authors
	Hasher  clientip.Hasher
	// NoLimit turns the rate limit off (RATE_LIMIT=off for a test run).
	NoLimit bool
}

// Press is a reader pressing a reaction: to a comment (CommentID > 0) or to the post.
type Press struct {
	PostID, CommentID int64
	Kind              string
	// Reader is the random name kept in the reader's signed browser record.
	Reader string
	Addr   netip.Addr
	// Authored are the comments the reader's browser posted (its signed record of them, at most
	// authorship.Max): a ban of any of their emails applies to the reader's reactions too.
	Authored []int64
}

// Errors a press may meet; each has a sentence for the reader.
var (
	ErrUnknownKind = errors.New("that is not one of the reactions")
	ErrBanned      = errors.New("reactions from this address are not accepted")
	ErrNotShown    = tallies.ErrNotShown
)

// Toggle gives the reader's reaction or, when they have given it, takes it back.
func (s *Service) Toggle(ctx context.Context, p Press) (tallies.Result, error) {
	if repo.ReactionIndex(p.Kind) < 0 {
		return tallies.Result{}, ErrUnknownKind
	}
	ip, net := s.Hasher.Address(p.Addr), s.Hasher.Net(p.Addr)
	if _, banned, err := s.Bans.Match(ctx, "", ip, net); err != nil {
		return tallies.Result{}, err
	} else if banned {
		return tallies.Result{}, ErrBanned
	}
	if banned, err := s.emailBanned(ctx, p.Authored); err != nil {
		return tallies.Result{}, err
	} else if banned {
		return tallies.Result{}, ErrBanned
	}
	t := tallies.Toggle{PostID: p.PostID, CommentID: p.CommentID, Kind: p.Kind, Reader: p.Reader, IPHash: ip, NetHash: net}
	if !s.NoLimit {
		t.Limit = &repo.RateLimit{ByNet: p.Addr.Is6(), Hash: ip, Max: Limit, Window: Window}
		if p.Addr.Is6() {
			t.Limit.Hash = net
		}
	}
	return s.Store.Toggle(ctx, t)
}

// emailBanned reports whether any of the comments a browser posted was written under an email banned since.
func (s *Service) emailBanned(ctx context.Context, authored []int64) (bool, error) {
	if s.Authors == nil || len(authored) == 0 {
		return false, nil
	}
	comments, err := s.Authors.FindCommentsByID(ctx, authored)
	if err != nil {
		return false, err
	}
	seen := map[string]bool{}
	for _, c := range comments {
		email := c.User.Email
		if email == "" || seen[email] {
			continue
		}
		seen[email] = true
		if _, banned, err := s.Bans.Match(ctx, email, "", ""); err != nil || banned {
			return banned, err
		}
	}
	return false, nil
}

// Summary returns the posts with reactions, most first (the console and web reactions show it).
func (s *Service) Summary(ctx context.Context, limit int) ([]tallies.PostTally, error) {
	return s.Store.Summary(ctx, limit)
}

// TopComments returns the published comments with the most reactions, of one post or (postID 0) of all.
func (s *Service) TopComments(ctx context.Context, postID int64, limit int) ([]repo.Comment, error) {
	return s.Store.TopComments(ctx, postID, limit)
}
