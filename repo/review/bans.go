package review

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
)

// Bans stores the bans. Match reads them from a copy kept in memory for BanCacheFor (every new comment is
// screened, and bans change rarely); a ban added or removed through this store applies at once, one added by
// another process or instance within BanCacheFor.
type Bans struct {
	db *database.DB

	mu     sync.Mutex
	byKey  map[string]repo.Ban
	loaded time.Time
}

// BanCacheFor is how long Match trusts its copy of the bans.
const BanCacheFor = 2 * time.Second

// NewBans returns the ban store backed by db.
func NewBans(db *database.DB) *Bans { return &Bans{db: db} }

// Add stores a ban and records the action in the audit trail, in one transaction. A ban that exists already is
// ErrExists.
func (b *Bans) Add(ctx context.Context, ban repo.Ban, act repo.Action) (repo.Ban, error) {
	ban.ID = 0
	ban.CreatedAt = time.Now().UTC()
	err := b.db.Write(ctx, func(ctx context.Context) error {
		if err := b.db.Repo().Insert(ctx, &ban); err != nil {
			return err
		}
		return repo.InsertAudit(ctx, b.db, repo.AuditEntry{Actor: act.Actor, Action: act.Name, Detail: ban.Kind + " " + ban.Label})
	})
	b.forget()
	if errors.Is(err, rel.ErrUniqueConstraint) {
		return repo.Ban{}, repo.ErrExists
	}
	return ban, repo.Translate(err, "add ban")
}

// List returns every ban, newest first.
func (b *Bans) List(ctx context.Context) ([]repo.Ban, error) {
	var out []repo.Ban
	if err := b.db.Repo().FindAll(ctx, &out, rel.SortDesc("id")); err != nil {
		return nil, repo.Translate(err, "list bans")
	}
	return out, nil
}

// Remove deletes a ban and records the action; an unknown id is ErrNotFound.
func (b *Bans) Remove(ctx context.Context, id int64, act repo.Action) (repo.Ban, error) {
	var ban repo.Ban
	err := b.db.Write(ctx, func(ctx context.Context) error {
		if err := b.db.Repo().Find(ctx, &ban, where.Eq("id", id)); err != nil {
			return err
		}
		if err := b.db.Repo().Delete(ctx, &ban); err != nil {
			return err
		}
		return repo.InsertAudit(ctx, b.db, repo.AuditEntry{Actor: act.Actor, Action: act.Name, Detail: ban.Kind + " " + ban.Label})
	})
	b.forget()
	return ban, repo.Translate(err, "remove ban")
}

// Match returns the first ban (the oldest) that applies to a commenter with this (normalized) email posting
// from an address with these hashes.
func (b *Bans) Match(ctx context.Context, email, ipHash, netHash string) (repo.Ban, bool, error) {
	byKey, err := b.current(ctx)
	if err != nil {
		return repo.Ban{}, false, err
	}
	var found repo.Ban
	ok := false
	for _, k := range [][2]string{{repo.BanEmail, email}, {repo.BanDomain, repo.EmailDomain(email)}, {repo.BanIP, ipHash}, {repo.BanNet, netHash}} {
		if k[1] == "" {
			continue
		}
		if ban, hit := byKey[k[0]+"\x00"+k[1]]; hit && (!ok || ban.ID < found.ID) {
			found, ok = ban, true
		}
	}
	return found, ok, nil
}

// current returns the bans by kind and value, read again when the copy is older than BanCacheFor.
func (b *Bans) current(ctx context.Context) (map[string]repo.Ban, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byKey != nil && time.Since(b.loaded) < BanCacheFor {
		return b.byKey, nil
	}
	var all []repo.Ban
	if err := b.db.Repo().FindAll(ctx, &all); err != nil {
		return nil, repo.Translate(err, "match bans")
	}
	byKey := make(map[string]repo.Ban, len(all))
	for _, ban := range all {
		k := ban.Kind + "\x00" + ban.Value
		if prev, ok := byKey[k]; !ok || ban.ID < prev.ID {
			byKey[k] = ban
		}
	}
	b.byKey, b.loaded = byKey, time.Now()
	return byKey, nil
}

// forget drops the copy, so the next Match reads the bans again.
func (b *Bans) forget() {
	b.mu.Lock()
	b.byKey = nil
	b.mu.Unlock()
}

// CommentsMatching returns the ids of the comments a ban applies to that are still published or pending.
func (s *Comments) CommentsMatching(ctx context.Context, ban repo.Ban) ([]int64, error) {
	q := rel.Select("id").From("comments").Where(where.In("state", repo.StatePublished, repo.StatePending))
	switch ban.Kind {
	case repo.BanIP:
		q = q.Where(where.Eq("ip_hash", ban.Value))
	case repo.BanNet:
		q = q.Where(where.Eq("net_hash", ban.Value))
	case repo.BanEmail, repo.BanDomain:
		var users []repo.User
		uq := rel.Where(where.Eq("email", ban.Value))
		if ban.Kind == repo.BanDomain {
			uq = rel.Where(where.Like("email", "%@"+store.LikeEscape(ban.Value)))
		}
		if err := s.db.Repo().FindAll(ctx, &users, uq); err != nil {
			return nil, repo.Translate(err, "find banned commenters")
		}
		var ids []int64
		for _, u := range users {
			// LIKE's _ matches any character (likeEscape): keep the addresses really at the domain, as new
			// comments are matched.
			if ban.Kind == repo.BanEmail || strings.HasSuffix(u.Email, "@"+ban.Value) {
				ids = append(ids, u.ID)
			}
		}
		if len(ids) == 0 {
			return nil, nil
		}
		q = q.Where(store.InIDs("user_id", ids))
	default:
		return nil, nil
	}
	var found []repo.Comment
	if err := s.db.Repo().FindAll(ctx, &found, q); err != nil {
		return nil, repo.Translate(err, "find banned comments")
	}
	ids := make([]int64, len(found))
	for i, c := range found {
		ids[i] = c.ID
	}
	return ids, nil
}
