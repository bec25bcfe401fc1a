package repo

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"
)

// The kinds of ban. Addresses and networks are banned by their keyed hashes, the same ones stored with comments.
const (
	BanEmail  = "email"
	BanDomain = "domain"
	BanIP     = "ip"
	BanNet    = "net"
)

// Ban keeps someone's new comments out of view: they are held as spam.
type Ban struct {
	ID    int64
	Kind  string
	Value string
	// Label says in words what is banned ("spam@example.com", "the address of comment 12").
	Label     string
	CreatedAt time.Time
}

// Bans stores the bans.
type Bans struct {
	db *DB
}

// NewBans returns the ban store backed by db.
func NewBans(db *DB) *Bans { return &Bans{db: db} }

// ErrExists means the same ban is already in place.
var ErrExists = errors.New("already exists")

// Add stores a ban and records the action in the audit trail, in one transaction. A ban that exists already is
// ErrExists.
func (b *Bans) Add(ctx context.Context, ban Ban, act Action) (Ban, error) {
	ban.ID = 0
	ban.CreatedAt = time.Now().UTC()
	err := b.db.Write(ctx, func(ctx context.Context) error {
		if err := b.db.Repo.Insert(ctx, &ban); err != nil {
			return err
		}
		return b.db.insertAudit(ctx, AuditEntry{Actor: act.Actor, Action: act.Name, Detail: ban.Kind + " " + ban.Label})
	})
	if errors.Is(err, rel.ErrUniqueConstraint) {
		return Ban{}, ErrExists
	}
	return ban, translate(err, "add ban")
}

// List returns every ban, newest first.
func (b *Bans) List(ctx context.Context) ([]Ban, error) {
	var out []Ban
	if err := b.db.Repo.FindAll(ctx, &out, rel.SortDesc("id")); err != nil {
		return nil, translate(err, "list bans")
	}
	return out, nil
}

// Remove deletes a ban and records the action; an unknown id is ErrNotFound.
func (b *Bans) Remove(ctx context.Context, id int64, act Action) (Ban, error) {
	var ban Ban
	err := b.db.Write(ctx, func(ctx context.Context) error {
		if err := b.db.Repo.Find(ctx, &ban, where.Eq("id", id)); err != nil {
			return err
		}
		if err := b.db.Repo.Delete(ctx, &ban); err != nil {
			return err
		}
		return b.db.insertAudit(ctx, AuditEntry{Actor: act.Actor, Action: act.Name, Detail: ban.Kind + " " + ban.Label})
	})
	return ban, translate(err, "remove ban")
}

// Match returns the first ban that applies to a commenter with this (normalized) email posting from an address
// with these hashes.
func (b *Bans) Match(ctx context.Context, email, ipHash, netHash string) (Ban, bool, error) {
	conds := []rel.FilterQuery{
		where.Eq("kind", BanEmail).AndEq("value", email),
		where.Eq("kind", BanDomain).AndEq("value", EmailDomain(email)),
	}
	if ipHash != "" {
		conds = append(conds, where.Eq("kind", BanIP).AndEq("value", ipHash))
	}
	if netHash != "" {
		conds = append(conds, where.Eq("kind", BanNet).AndEq("value", netHash))
	}
	var ban Ban
	err := b.db.Repo.Find(ctx, &ban, rel.Where(where.Or(conds...)).SortAsc("id"))
	if errors.Is(err, rel.ErrNotFound) {
		return Ban{}, false, nil
	}
	if err != nil {
		return Ban{}, false, translate(err, "match bans")
	}
	return ban, true, nil
}

// EmailDomain returns the part of an email after its last @.
func EmailDomain(email string) string {
	return email[strings.LastIndexByte(email, '@')+1:]
}

// CommentsMatching returns the ids of the comments a ban applies to that are still published or pending.
func (s *Comments) CommentsMatching(ctx context.Context, ban Ban) ([]int64, error) {
	q := rel.Select("id").From("comments").Where(where.In("state", StatePublished, StatePending))
	switch ban.Kind {
	case BanIP:
		q = q.Where(where.Eq("ip_hash", ban.Value))
	case BanNet:
		q = q.Where(where.Eq("net_hash", ban.Value))
	case BanEmail, BanDomain:
		var users []User
		uq := rel.Where(where.Eq("email", ban.Value))
		if ban.Kind == BanDomain {
			uq = rel.Where(where.Like("email", "%@"+likeEscape(ban.Value)))
		}
		if err := s.db.Repo.FindAll(ctx, &users, uq); err != nil {
			return nil, translate(err, "find banned commenters")
		}
		if len(users) == 0 {
			return nil, nil
		}
		ids := make([]int64, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		q = q.Where(inIDs("user_id", ids))
	default:
		return nil, nil
	}
	var found []Comment
	if err := s.db.Repo.FindAll(ctx, &found, q); err != nil {
		return nil, translate(err, "find banned comments")
	}
	ids := make([]int64, len(found))
	for i, c := range found {
		ids[i] = c.ID
	}
	return ids, nil
}
