// Package federation is the store of the blog as an ActivityPub actor: its key pair, the remote actors it has
// read (a cache), its followers, the durable queue of deliveries (one row per inbox, claimed by any instance,
// tried again with back-off), each post's announced state (created once for the whole blog, updated when its
// content changes, deleted when it goes), the remote objects that became comments and the comments the blog
// sent, and the likes and boosts of its posts.
package federation

import (
	"context"
	"errors"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
)

// Store reads and writes what the blog keeps as an actor.
type Store struct{ db *database.DB }

// New returns the store backed by db.
func New(db *database.DB) *Store { return &Store{db: db} }

type key struct {
	ID         int64
	Name       string
	PrivateKey string
	CreatedAt  time.Time
}

func (key) Table() string { return "fed_keys" }

// PrivateKey returns the blog's private key (PEM), made by generate the first time. Instances starting together
// agree on one: the second waits for the first's transaction and reads its key.
func (s *Store) PrivateKey(ctx context.Context, generate func() (string, error)) (string, error) {
	var k key
	err := s.db.Repo().Find(ctx, &k, where.Eq("name", "actor"))
	if err == nil {
		return k.PrivateKey, nil
	}
	if !errors.Is(err, rel.ErrNotFound) {
		return "", repo.Translate(err, "read key")
	}
	pem, err := generate()
	if err != nil {
		return "", err
	}
	err = s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockFederation, "key"); err != nil {
			return err
		}
		err := s.db.Repo().Find(ctx, &k, where.Eq("name", "actor"))
		if errors.Is(err, rel.ErrNotFound) {
			k = key{Name: "actor", PrivateKey: pem, CreatedAt: time.Now().UTC()}
			return s.db.Repo().Insert(ctx, &k)
		}
		return err
	})
	if err != nil {
		// SQLite takes no advisory lock: the loser of the insert reads the winner's key.
		if errors.Is(repo.Translate(err, ""), repo.ErrConflict) {
			if err := s.db.Repo().Find(ctx, &k, where.Eq("name", "actor")); err == nil {
				return k.PrivateKey, nil
			}
		}
		return "", repo.Translate(err, "create key")
	}
	return k.PrivateKey, nil
}

// KeyCreated returns when the blog's key pair was made: when the blog joined the fediverse.
func (s *Store) KeyCreated(ctx context.Context) (time.Time, error) {
	var k key
	err := s.db.Repo().Find(ctx, &k, where.Eq("name", "actor"))
	return k.CreatedAt, repo.Translate(err, "read key")
}

// Actor is a remote actor as the blog last read it.
type Actor struct {
	ID          int64
	URI         string
	Inbox       string
	SharedInbox string
	KeyID       string
	PublicKey   string
	Name        string
	// Handle is @user@server.
	Handle     string
	ProfileURL string
	IconURL    string
	FetchedAt  time.Time
}

// Table names the table of Actor for rel.
func (Actor) Table() string { return "fed_actors" }

// Actor returns the cached actor with this id (repo.ErrNotFound when it was never read).
func (s *Store) Actor(ctx context.Context, uri string) (Actor, error) {
	var a Actor
	err := s.db.Repo().Find(ctx, &a, where.Eq("uri", uri))
	return a, repo.Translate(err, "find actor")
}

// ActorByKey returns the cached actor whose key has this id.
func (s *Store) ActorByKey(ctx context.Context, keyID string) (Actor, error) {
	var a Actor
	err := s.db.Repo().Find(ctx, &a, where.Eq("key_id", keyID))
	return a, repo.Translate(err, "find actor by key")
}

// SaveActor keeps what was read of an actor, replacing what was kept.
func (s *Store) SaveActor(ctx context.Context, a Actor) (Actor, error) {
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockFederation, "actor "+a.URI); err != nil {
			return err
		}
		var old Actor
		err := s.db.Repo().Find(ctx, &old, where.Eq("uri", a.URI))
		switch {
		case errors.Is(err, rel.ErrNotFound):
			a.ID = 0
			return s.db.Repo().Insert(ctx, &a)
		case err != nil:
			return err
		}
		a.ID = old.ID
		return s.db.Repo().Update(ctx, &a)
	})
	return a, repo.Translate(err, "save actor")
}

// Follower is a remote actor that follows the blog.
type Follower struct {
	ID          int64
	ActorURI    string
	Inbox       string
	SharedInbox string
	// Domain is the actor's server (a domain blocked in the console removes its followers).
	Domain    string
	Handle    string
	FollowID  string
	CreatedAt time.Time
}

// Table names the table of Follower for rel.
func (Follower) Table() string { return "fed_followers" }

// Follow records f as a follower, or updates its inboxes when it follows again.
func (s *Store) Follow(ctx context.Context, f Follower) error {
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockFederation, "follower "+f.ActorURI); err != nil {
			return err
		}
		var old Follower
		err := s.db.Repo().Find(ctx, &old, where.Eq("actor_uri", f.ActorURI))
		switch {
		case errors.Is(err, rel.ErrNotFound):
			f.ID, f.CreatedAt = 0, time.Now().UTC()
			return s.db.Repo().Insert(ctx, &f)
		case err != nil:
			return err
		}
		f.ID, f.CreatedAt = old.ID, old.CreatedAt
		return s.db.Repo().Update(ctx, &f)
	})
	return repo.Translate(err, "follow")
}

// Unfollow removes the follower with this actor id; it reports whether there was one.
func (s *Store) Unfollow(ctx context.Context, actorURI string) (bool, error) {
	n, err := s.db.Repo().DeleteAny(ctx, rel.From("fed_followers").Where(where.Eq("actor_uri", actorURI)))
	return n > 0, repo.Translate(err, "unfollow")
}

// RemoveFollower removes a follower by id and returns it (repo.ErrNotFound when there is none).
func (s *Store) RemoveFollower(ctx context.Context, id int64) (Follower, error) {
	var f Follower
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Repo().Find(ctx, &f, where.Eq("id", id)); err != nil {
			return err
		}
		return s.db.Repo().Delete(ctx, &f)
	})
	return f, repo.Translate(err, "remove follower")
}

// RemoveDomain removes every follower on domain and its pending deliveries; it returns how many followers went.
func (s *Store) RemoveDomain(ctx context.Context, domain string) (int, error) {
	var n int
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var err error
		if n, err = s.db.Repo().DeleteAny(ctx, rel.From("fed_followers").Where(where.Eq("domain", domain))); err != nil {
			return err
		}
		_, err = s.db.Repo().DeleteAny(ctx, rel.From("fed_deliveries").Where(where.Eq("domain", domain), where.Eq("status", StatusPending)))
		return err
	})
	return n, repo.Translate(err, "remove domain")
}

// Followers returns a page of followers, newest first, and how many there are in all.
func (s *Store) Followers(ctx context.Context, n, offset int) ([]Follower, int, error) {
	total, err := s.db.Repo().Count(ctx, "fed_followers")
	if err != nil {
		return nil, 0, repo.Translate(err, "count followers")
	}
	var fs []Follower
	err = s.db.Repo().FindAll(ctx, &fs, rel.SortDesc("id"), rel.Limit(n), rel.Offset(offset))
	return fs, total, repo.Translate(err, "followers")
}

// Reaction is a like or a boost of a post.
type Reaction struct {
	ID          int64
	ActivityURI string
	ActorURI    string
	Name        string
	PostID      int64
	Kind        string
	CreatedAt   time.Time
}

// Table names the table of Reaction for rel.
func (Reaction) Table() string { return "fed_reactions" }

// The kinds of reaction, named as the post's page counts them (mentions.KindLike and KindRepost).
const (
	KindLike  = "like"
	KindBoost = "repost"
)

// React counts a like or a boost once per actor and post; the post's page shows the new count on every instance.
func (s *Store) React(ctx context.Context, r Reaction) error {
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockFederation, "reaction "+r.ActorURI); err != nil {
			return err
		}
		n, err := s.db.Repo().Count(ctx, "fed_reactions", where.Eq("post_id", r.PostID).AndEq("actor_uri", r.ActorURI).AndEq("kind", r.Kind))
		if err != nil || n > 0 {
			return err
		}
		r.ID, r.CreatedAt = 0, time.Now().UTC()
		if err := s.db.Repo().Insert(ctx, &r); err != nil {
			return err
		}
		_, err = repo.Record(ctx, s.db, r.PostID, 0, repo.ChangeMentioned, 0)
		return err
	})
	if errors.Is(repo.Translate(err, ""), repo.ErrConflict) {
		return nil // the same activity twice
	}
	return repo.Translate(err, "react")
}

// Unreact takes back the reaction an activity made, when actor made it.
func (s *Store) Unreact(ctx context.Context, activityURI, actorURI string) error {
	err := s.db.Write(ctx, func(ctx context.Context) error {
		var r Reaction
		err := s.db.Repo().Find(ctx, &r, where.Eq("activity_uri", activityURI).AndEq("actor_uri", actorURI))
		if errors.Is(err, rel.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.db.Repo().Delete(ctx, &r); err != nil {
			return err
		}
		_, err = repo.Record(ctx, s.db, r.PostID, 0, repo.ChangeMentioned, 0)
		return err
	})
	return repo.Translate(err, "unreact")
}

// Reactions returns a post's reactions of one kind, newest first, at most n, and how many there are.
func (s *Store) Reactions(ctx context.Context, postID int64, kind string, n int) ([]Reaction, int, error) {
	q := where.Eq("post_id", postID).AndEq("kind", kind)
	total, err := s.db.Repo().Count(ctx, "fed_reactions", q)
	if err != nil {
		return nil, 0, repo.Translate(err, "count reactions")
	}
	if n <= 0 {
		return nil, total, nil
	}
	var rs []Reaction
	err = s.db.Repo().FindAll(ctx, &rs, q, rel.SortDesc("id"), rel.Limit(n))
	return rs, total, repo.Translate(err, "reactions")
}

// Object ties an ActivityPub object to the comment it is: a remote reply that became a comment here, or a
// comment of the blog's owner that was sent out.
type Object struct {
	ID        int64
	URI       string
	CommentID int64
	PostID    int64
	ActorURI  string
	Outgoing  bool
	CreatedAt time.Time
}

// Table names the table of Object for rel.
func (Object) Table() string { return "fed_objects" }

// Object returns the object with this id.
func (s *Store) Object(ctx context.Context, uri string) (Object, error) {
	var o Object
	err := s.db.Repo().Find(ctx, &o, where.Eq("uri", uri))
	return o, repo.Translate(err, "find object")
}

// ObjectOf returns the object a comment is tied to.
func (s *Store) ObjectOf(ctx context.Context, commentID int64) (Object, error) {
	var o Object
	err := s.db.Repo().Find(ctx, &o, where.Eq("comment_id", commentID), rel.SortAsc("id"), rel.Limit(1))
	return o, repo.Translate(err, "find object of comment")
}

// SaveObject ties an object to its comment. It reports false when the object was tied already (by another
// instance, or by the same activity received twice).
func (s *Store) SaveObject(ctx context.Context, o Object) (bool, error) {
	o.ID, o.CreatedAt = 0, time.Now().UTC()
	err := s.db.Repo().Insert(ctx, &o)
	if errors.Is(repo.Translate(err, ""), repo.ErrConflict) {
		return false, nil
	}
	return err == nil, repo.Translate(err, "save object")
}
