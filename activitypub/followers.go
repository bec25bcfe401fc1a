package activitypub

import (
	"context"
	"errors"
	"strings"

	"blog/activitypub/streams"
	"blog/fetch"
	"blog/moderation"
	"blog/repo"
	"blog/repo/federation"
)

// FollowerList returns a page of the blog's followers, newest first, and how many there are.
func (s *Service) FollowerList(ctx context.Context, n, offset int) ([]federation.Follower, int, error) {
	return s.cfg.Store.Followers(ctx, n, offset)
}

// RemoveFollower removes a follower and tells its server with a Reject of its Follow (as Mastodon does when an
// account removes a follower), so it stops showing the blog as followed.
func (s *Service) RemoveFollower(ctx context.Context, id int64) (federation.Follower, error) {
	f, err := s.cfg.Store.RemoveFollower(ctx, id)
	if err != nil {
		return f, err
	}
	reject := streams.Doc{"@context": streams.Context[0], "id": s.ActorID() + "#rejects/" + streams.ShortHash(f.FollowID+f.ActorURI), "type": "Reject",
		"actor": s.ActorID(), "object": streams.Doc{"id": f.FollowID, "type": "Follow", "actor": f.ActorURI, "object": s.ActorID()}}
	if err := s.cfg.Store.Queue(ctx, []federation.Target{{Inbox: f.Inbox, Domain: f.Domain}}, reject.Bytes()); err != nil {
		return f, err
	}
	s.wake()
	return f, nil
}

// ErrBadDomain refuses a domain to block that is not one ("example.com").
var ErrBadDomain = errors.New("Give a server's domain, such as example.com.")

// Block blocks a server: its domain banned as an email domain (so its replies are held as spam and its
// activities refused, like any comment from the domain, and its earlier comments marked as spam), and its
// followers removed. It returns how many followers went.
func (s *Service) Block(ctx context.Context, domain string) (int, []repo.Moved, error) {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if u, err := fetch.Parse("https://" + domain + "/"); err != nil || u.Host != domain || !strings.Contains(domain, ".") {
		return 0, nil, ErrBadDomain
	}
	_, moved, err := s.cfg.Moderation.Ban(ctx, repo.ActorOwner, moderation.BanRequest{Kind: repo.BanDomain, Value: domain, RemovePast: true})
	if err != nil && !errors.Is(err, repo.ErrExists) {
		return 0, nil, err
	}
	n, err := s.cfg.Store.RemoveDomain(ctx, domain)
	return n, moved, err
}
