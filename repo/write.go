package repo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
)

// What every write of a comment shares, whichever store makes it (posting, moderation, an import): what it is
// given, what it answers, and the steps that keep a post's feed and a conversation's counts right.

// NewComment is a validated, normalized comment with what the server decided about it.
type NewComment struct {
	PostID int64
	Input  CommentInput
	// State is StatePublished, or StatePending / StateSpam for a held comment, with Reason saying why.
	State  string
	Reason string
	// IPHash and NetHash are the keyed hashes of the poster's address and network.
	IPHash, NetHash string
	// CreatedAt is the comment's time; zero means now.
	CreatedAt time.Time
	// Limit, when set, refuses the comment (ErrRateLimited) if the same client posted too many lately.
	Limit *RateLimit
	// ParentID, when set, is the comment this one answers (BadParentError when it cannot be answered).
	ParentID int64
	// Format is how the text is written (FormatMarkdown when empty).
	Format string
	// Notify records that the author asked for an email when someone replies.
	Notify bool
	// ByOwner marks a comment written by the signed-in owner (moderation sets it, from the owner's session); it is
	// recorded in the audit trail with the comment. The owner's comments are taken on a post closed to comments
	// (the owner may still answer); every other new comment is refused there (ErrClosed).
	ByOwner bool
	// SourceURL, AuthorURL and MentionKind are the origin of a comment another site sent (see Comment).
	SourceURL, AuthorURL, MentionKind string
	// AuthorHandle is a fediverse author's @user@server (see Comment).
	AuthorHandle string
	// AuthorPhoto is the blog's copy of the author's picture on the other site (see Comment.AuthorPhoto).
	AuthorPhoto string
}

// BadParentError refuses a reply: the comment answered is of another post, not shown, or not there.
type BadParentError struct{ Msg string }

func (e BadParentError) Error() string { return e.Msg }

// RateLimit bounds how many comments one client may post in a window: at most Max with the same hash in the
// column ByNet chooses (net_hash for an IPv6 /64, ip_hash for one IPv4 address). Counted in the database, so
// every instance shares it.
type RateLimit struct {
	ByNet  bool
	Hash   string
	Max    int
	Window time.Duration
}

// CheckRate refuses one more row of table (comments, reactions) from l's client when it already has l.Max in
// the window: RateLimitedError with how long until one more fits. It runs inside the write transaction; the lock
// on the client's hash in space makes concurrent writes of one client (on any instance) count one after the other.
func CheckRate(ctx context.Context, db *database.DB, space int32, table string, l *RateLimit, now time.Time) error {
	if l == nil || l.Hash == "" || l.Max <= 0 {
		return nil
	}
	if err := db.Lock(ctx, space, l.Hash); err != nil {
		return err
	}
	col := "ip_hash"
	if l.ByNet {
		col = "net_hash"
	}
	var recent []struct {
		ID        int64
		CreatedAt time.Time
	}
	q := rel.Select("id", "created_at").From(table).Where(where.Eq(col, l.Hash), where.Gt("created_at", now.Add(-l.Window))).
		SortAsc("created_at").Limit(l.Max)
	if err := db.Repo().FindAll(ctx, &recent, q); err != nil {
		return err
	}
	if len(recent) < l.Max {
		return nil
	}
	return RateLimitedError{Wait: max(time.Second, recent[0].CreatedAt.Add(l.Window).Sub(now))}
}

// RateLimitedError is returned for a comment over its client's limit; Wait is how long until one more fits.
type RateLimitedError struct{ Wait time.Duration }

func (e RateLimitedError) Error() string {
	return "too many comments from this client; wait " + e.Wait.String()
}

// Stamp is where a post's feed stands after a write: its newest sequence and its published comments.
type Stamp struct {
	Seq   int64
	Count int
	// Closed reports whether the post takes no new comments (filled in by the reads of a post's stamp).
	Closed bool
	// Reactions are the post's own reactions (filled in by the reads of a post's stamp, not by writes).
	Reactions Tally
}

// Moved is a comment whose state an action changed.
type Moved struct {
	ID     int64
	PostID int64
	From   string
	To     string
	// Stamp is where the comment's post feed stood after the change.
	Stamp Stamp
}

// Edit is an author's new text for their comment, with what screening it decided: the state the comment is
// in afterwards (published, or held again) and why.
type Edit struct {
	Body, Format  string
	State, Reason string
}

// VisibleDelta is how a move between two states changes the count of published comments.
func VisibleDelta(from, to string) int {
	switch {
	case from != StatePublished && to == StatePublished:
		return 1
	case from == StatePublished && to != StatePublished:
		return -1
	}
	return 0
}

// Record appends a change of one comment to its post's feed (see database.DB.Record): the feed's newest sequence
// and the post's count of published comments by delta. It runs inside a write transaction.
func Record(ctx context.Context, db *database.DB, postID, commentID int64, kind string, delta int) (Stamp, error) {
	seq, count, err := db.Record(ctx, postID, []database.Change{{CommentID: commentID, Kind: kind}}, delta)
	if errors.Is(err, database.ErrNoPost) {
		err = fmt.Errorf("post %d: %w", postID, ErrConflict)
	}
	return Stamp{Seq: seq, Count: count}, err
}

// ReplyMoved keeps a conversation's count of published replies when one of its replies appears or disappears
// (delta +1 or -1), and, when its top-level comment is not shown itself, records a change for it: it may have
// just become (or stopped being) the "comment removed" placeholder that holds the replies' place.
func ReplyMoved(ctx context.Context, db *database.DB, root *Comment, delta int) (Stamp, error) {
	if delta == 0 {
		return Stamp{}, nil
	}
	if _, err := db.Repo().UpdateAny(ctx, rel.From("comments").Where(where.Eq("id", root.ID)), rel.IncBy("replies", delta)); err != nil {
		return Stamp{}, err
	}
	root.Replies += delta
	if root.Visible() {
		return Stamp{}, nil
	}
	return Record(ctx, db, root.PostID, root.ID, ChangeState, 0)
}

// LockComment reads a comment for update (its row locked until the transaction ends).
func LockComment(ctx context.Context, db *database.DB, id int64) (Comment, error) {
	q := db.ForUpdate(rel.Where(where.Eq("id", id)))
	var c Comment
	err := db.Repo().Find(ctx, &c, q)
	return c, err
}
