package federation

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/repo"
	"blog/repo/internal/store"
)

// The states of the blog's Follow of an actor.
const (
	FollowPending  = "pending"  // sent, their server has not answered yet
	FollowAccepted = "accepted" // their server accepted: their posts reach the blog
	FollowRejected = "rejected" // their server refused, or removed the blog from their followers
)

// Followee is an actor the blog follows (or asked to).
type Followee struct {
	ID         int64
	ActorURI   string
	Inbox      string
	Handle     string
	Name       string
	ProfileURL string
	// FollowID is the id of the blog's Follow: their Accept or Reject names it, the blog's Undo takes it back.
	FollowID  string
	State     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Table names the table of Followee for rel.
func (Followee) Table() string { return "fed_following" }

// StartFollowing records f as followed, pending until its server answers, and queues the Follow (activity) to
// its inbox in the same transaction. Following again sends a new Follow (a server that lost the first one, or
// rejected it, hears again).
func (s *Store) StartFollowing(ctx context.Context, f Followee, activity []byte) (Followee, error) {
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockFollowing, "followee "+f.ActorURI); err != nil {
			return err
		}
		now := time.Now().UTC()
		var old Followee
		err := s.db.Repo().Find(ctx, &old, where.Eq("actor_uri", f.ActorURI))
		switch {
		case errors.Is(err, rel.ErrNotFound):
			f.ID, f.State, f.CreatedAt, f.UpdatedAt = 0, FollowPending, now, now
			err = s.db.Repo().Insert(ctx, &f)
		case err != nil:
			return err
		default:
			f.ID, f.CreatedAt, f.UpdatedAt = old.ID, old.CreatedAt, now
			if f.State = FollowPending; old.State == FollowAccepted {
				f.State = FollowAccepted // a Follow sent again is accepted again: meanwhile the posts keep coming
			}
			err = s.db.Repo().Update(ctx, &f)
		}
		if err != nil {
			return err
		}
		return s.Queue(ctx, []Target{{Inbox: f.Inbox, Domain: hostOf(f.Inbox)}}, activity)
	})
	return f, repo.Translate(err, "start following")
}

// StopFollowing forgets a followed actor (by id) and its posts, and queues undo(it) (the Undo of the Follow) to
// its inbox in the same transaction. It returns the actor (repo.ErrNotFound when the blog does not follow it).
func (s *Store) StopFollowing(ctx context.Context, id int64, undo func(Followee) []byte) (Followee, error) {
	var f Followee
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Repo().Find(ctx, &f, where.Eq("id", id)); err != nil {
			return err
		}
		if err := s.db.Repo().Delete(ctx, &f); err != nil {
			return err
		}
		if _, err := s.db.Repo().DeleteAny(ctx, rel.From("fed_timeline").Where(where.Eq("actor_uri", f.ActorURI))); err != nil {
			return err
		}
		return s.Queue(ctx, []Target{{Inbox: f.Inbox, Domain: hostOf(f.Inbox)}}, undo(f))
	})
	return f, repo.Translate(err, "stop following")
}

// Followee returns the followed actor with this id or handle (@user@server), or with this actor id.
func (s *Store) Followee(ctx context.Context, ref string) (Followee, error) {
	var f Followee
	err := s.db.Repo().Find(ctx, &f, where.Eq("actor_uri", ref).OrEq("handle", ref))
	return f, repo.Translate(err, "find followee")
}

// FolloweeByID returns the followed actor with this row id.
func (s *Store) FolloweeByID(ctx context.Context, id int64) (Followee, error) {
	var f Followee
	err := s.db.Repo().Find(ctx, &f, where.Eq("id", id))
	return f, repo.Translate(err, "find followee")
}

// Answered records their server's answer to the blog's Follow followID of actorURI (an Accept, or a Reject:
// refused, or removed from their followers later). It reports false when no such Follow is waiting or held.
func (s *Store) Answered(ctx context.Context, actorURI, followID string, accepted bool) (bool, error) {
	state := FollowRejected
	if accepted {
		state = FollowAccepted
	}
	q := where.Eq("actor_uri", actorURI)
	if followID != "" { // Mastodon names the Follow; some servers send only the actor
		q = q.AndEq("follow_id", followID)
	}
	n, err := s.db.Repo().UpdateAny(ctx, rel.From("fed_following").Where(q), rel.Set("state", state), rel.Set("updated_at", time.Now().UTC()))
	return n > 0, repo.Translate(err, "record the answer to a follow")
}

// Following returns a page of the actors the blog follows, newest first, and how many there are.
func (s *Store) Following(ctx context.Context, n, offset int) ([]Followee, int, error) {
	total, err := s.db.Repo().Count(ctx, "fed_following")
	if err != nil {
		return nil, 0, repo.Translate(err, "count followed actors")
	}
	var fs []Followee
	err = s.db.Repo().FindAll(ctx, &fs, rel.SortDesc("id"), rel.Limit(n), rel.Offset(offset))
	return fs, total, repo.Translate(err, "followed actors")
}

// Bounds of the posts kept from followed actors: the newest of each, and the newest of all; older ones go.
const (
	TimelinePerActor = 50
	TimelineTotal    = 500
)

// TimelineItem is a post a followed actor sent (a Create of an Article or a Note), as the console lists it.
type TimelineItem struct {
	ID        int64
	ActorURI  string
	ObjectURI string
	URL       string
	Title     string
	// Summary is plain text, made from the post's summary or the start of its text.
	Summary   string
	InReplyTo string
	Published time.Time
	CreatedAt time.Time
}

// Table names the table of TimelineItem for rel.
func (TimelineItem) Table() string { return "fed_timeline" }

// KeepPost keeps a followed actor's post, or replaces it when it was kept (an edit), then drops what passes the
// bounds: past TimelinePerActor of its actor's, past TimelineTotal of all, the oldest first.
func (s *Store) KeepPost(ctx context.Context, it TimelineItem) error {
	err := s.db.Write(ctx, func(ctx context.Context) error {
		if err := s.db.Lock(ctx, store.LockFollowing, "timeline"); err != nil {
			return err
		}
		var old TimelineItem
		err := s.db.Repo().Find(ctx, &old, where.Eq("object_uri", it.ObjectURI))
		switch {
		case errors.Is(err, rel.ErrNotFound):
			it.ID, it.CreatedAt = 0, time.Now().UTC()
			if err := s.db.Repo().Insert(ctx, &it); err != nil {
				return err
			}
		case err != nil:
			return err
		case old.ActorURI != it.ActorURI:
			return nil // another's object: not theirs to change
		default:
			it.ID, it.CreatedAt = old.ID, old.CreatedAt
			return s.db.Repo().Update(ctx, &it)
		}
		if err := s.trim(ctx, where.Eq("actor_uri", it.ActorURI), TimelinePerActor); err != nil {
			return err
		}
		return s.trim(ctx, nil, TimelineTotal)
	})
	return repo.Translate(err, "keep a followed actor's post")
}

// trim deletes the posts matching q (all of them when q is nil) older than the newest keep.
func (s *Store) trim(ctx context.Context, q rel.Querier, keep int) error {
	qs := []rel.Querier{rel.Select("id"), rel.SortDesc("id"), rel.Limit(1), rel.Offset(keep)}
	if q != nil {
		qs = append(qs, q)
	}
	var edge TimelineItem
	err := s.db.Repo().Find(ctx, &edge, qs...)
	if errors.Is(err, rel.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	del := rel.From("fed_timeline").Where(where.Lte("id", edge.ID))
	if f, ok := q.(rel.FilterQuery); ok {
		del = del.Where(f)
	}
	_, err = s.db.Repo().DeleteAny(ctx, del)
	return err
}

// DropPost forgets a followed actor's post that was deleted; it reports whether it was kept.
func (s *Store) DropPost(ctx context.Context, objectURI, actorURI string) (bool, error) {
	n, err := s.db.Repo().DeleteAny(ctx, rel.From("fed_timeline").Where(where.Eq("object_uri", objectURI), where.Eq("actor_uri", actorURI)))
	return n > 0, repo.Translate(err, "drop a followed actor's post")
}

// Timeline returns the newest n posts of the followed actors, newest first.
func (s *Store) Timeline(ctx context.Context, n int) ([]TimelineItem, error) {
	var its []TimelineItem
	err := s.db.Repo().FindAll(ctx, &its, rel.SortDesc("published"), rel.SortDesc("id"), rel.Limit(n))
	return its, repo.Translate(err, "timeline")
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
