package repo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"
	"github.com/jackc/pgx/v5"
)

// ChangesChannel is the PostgreSQL NOTIFY channel on which every committed change is announced.
const ChangesChannel = "blog_changes"

// changeRow is a row of the changes table.
type changeRow struct {
	ID        int64
	PostID    int64
	Seq       int64
	CommentID int64
	Kind      string
	CreatedAt time.Time
}

func (changeRow) Table() string { return "changes" }

// record appends a change of one comment to its post's feed: it moves the post's sequence on and its count of
// published comments by delta, inserts the change, and on PostgreSQL announces it (delivered only if the
// transaction commits). It must run inside a write transaction. On PostgreSQL the update locks the post's row
// until commit, so a post's changes commit in sequence order and "everything after seq N" never skips one.
func (d *DB) record(ctx context.Context, postID, commentID int64, kind string, delta int) (Stamp, error) {
	q := rel.From("posts").Where(where.Eq("id", postID))
	n, err := d.Repo.UpdateAny(ctx, q, rel.Inc("last_seq"), rel.IncBy("comment_count", delta))
	if err != nil {
		return Stamp{}, err
	}
	if n != 1 {
		return Stamp{}, fmt.Errorf("post %d: %w", postID, ErrConflict)
	}
	var p Post
	if err := d.Repo.Find(ctx, &p, where.Eq("id", postID)); err != nil {
		return Stamp{}, err
	}
	row := changeRow{PostID: postID, Seq: p.LastSeq, CommentID: commentID, Kind: kind, CreatedAt: time.Now().UTC()}
	if err := d.Repo.Insert(ctx, &row); err != nil {
		return Stamp{}, err
	}
	if d.Dialect == Postgres {
		if _, _, err := d.Repo.Exec(ctx, "SELECT pg_notify($1, $2)", ChangesChannel, encodeNotice(postID, p.LastSeq)); err != nil {
			return Stamp{}, err
		}
	}
	return Stamp{Seq: p.LastSeq, Count: p.CommentCount}, nil
}

// encodeNotice and decodeNotice are the NOTIFY payload: "postID:seq".
func encodeNotice(postID, seq int64) string {
	return strconv.FormatInt(postID, 10) + ":" + strconv.FormatInt(seq, 10)
}

func decodeNotice(s string) (postID, seq int64, err error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, errors.New("want postID:seq")
	}
	if postID, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("post id: %w", err)
	}
	if seq, err = strconv.ParseInt(b, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("seq: %w", err)
	}
	return postID, seq, nil
}

// FeedHead returns the id of the newest change of any post (0 when there is none): what the whole blog's
// comments stand at, for what is built from them (the comments feed).
func (s *Comments) FeedHead(ctx context.Context) (int64, error) {
	n, err := s.db.Repo.Aggregate(ctx, rel.From("changes"), "max", "id")
	return int64(n), translate(err, "read the newest change")
}

// FindChanges returns a post's changes with a sequence greater than after, oldest first, at most limit, each with
// its comment as it is now and the post's current count of published comments. Reading the current state (not
// the state at the time of the change) makes every change safe to apply twice or late: the last one applied
// always leaves the page as the database is.
func (s *Comments) FindChanges(ctx context.Context, postID, after int64, limit int) ([]Change, error) {
	var rows []changeRow
	q := rel.Where(where.Eq("post_id", postID), where.Gt("seq", after)).SortAsc("seq").Limit(limit)
	if err := s.db.Repo.FindAll(ctx, &rows, q); err != nil {
		return nil, translate(err, "find changes")
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.CommentID
	}
	comments, err := s.FindCommentsByID(ctx, uniqueIDs(ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Comment, len(comments))
	for i := range comments {
		byID[comments[i].ID] = &comments[i]
	}
	// The conversations' counts of replies, for lists that show a conversation's first replies only.
	var rootIDs []int64
	for _, c := range comments {
		if !c.TopLevel() {
			rootIDs = append(rootIDs, c.Thread())
		}
	}
	replies := map[int64]int{}
	if len(rootIDs) > 0 {
		var roots []Comment
		if err := s.db.Repo.FindAll(ctx, &roots, rel.Select("id", "replies").Where(inIDs("id", uniqueIDs(rootIDs)))); err != nil {
			return nil, translate(err, "count replies")
		}
		for _, r := range roots {
			replies[r.ID] = r.Replies
		}
	}
	for _, c := range comments {
		if c.TopLevel() {
			replies[c.ID] = c.Replies
		}
	}
	st, err := s.PostStamp(ctx, postID)
	if err != nil {
		return nil, err
	}
	out := make([]Change, len(rows))
	for i, r := range rows {
		out[i] = Change{Seq: r.Seq, PostID: r.PostID, CommentID: r.CommentID, Kind: r.Kind, Comment: byID[r.CommentID], Count: st.Count}
		if c := byID[r.CommentID]; c != nil {
			out[i].Replies = replies[c.Thread()]
		}
	}
	return out, nil
}

// parentNames fills in ParentName for replies that answer another reply (and, when threads are given, for the
// replies they hold, which replies shares).
func (s *Comments) parentNames(ctx context.Context, replies []Comment, threads []Thread) error {
	answersReply := func(c Comment) bool { return c.ParentID != nil && c.ThreadID != nil && *c.ParentID != *c.ThreadID }
	var ids []int64
	for _, c := range replies {
		if answersReply(c) {
			ids = append(ids, *c.ParentID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var parents []Comment
	if err := s.db.Repo.FindAll(ctx, &parents, rel.Select("id", "username").Where(inIDs("id", uniqueIDs(ids)))); err != nil {
		return translate(err, "find answered comments")
	}
	names := map[int64]string{}
	for _, p := range parents {
		names[p.ID] = p.Username
	}
	fill := func(cs []Comment) {
		for i, c := range cs {
			if answersReply(c) {
				cs[i].ParentName = names[*c.ParentID]
			}
		}
	}
	fill(replies)
	for _, t := range threads {
		fill(t.Replies)
	}
	return nil
}

// pollInterval is how often a SQLite server looks for changes committed by other processes (a command-line
// action, an import): one indexed read of the feed's newest id per interval, whatever the number of streams.
const pollInterval = 300 * time.Millisecond

// WatchChanges reports changes committed by any process until ctx ends: poke(postID, seq) for a post whose feed
// moved, resync() when changes may have been missed (a lost PostgreSQL connection), ready() once watching. On
// PostgreSQL it listens on ChangesChannel; on SQLite it polls the newest change id.
func (d *DB) WatchChanges(ctx context.Context, poke func(postID, seq int64), resync, ready func()) error {
	if d.Dialect == Postgres {
		return d.listen(ctx, poke, resync, ready)
	}
	return d.poll(ctx, poke, ready)
}

// postSeq is one row of the poll's grouped query.
type postSeq struct {
	PostID int64
	Seq    int64
}

func (d *DB) poll(ctx context.Context, poke func(postID, seq int64), ready func()) error {
	last, err := d.Repo.Aggregate(ctx, rel.From("changes"), "max", "id")
	if err != nil {
		return fmt.Errorf("watch changes: %w", err)
	}
	ready()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		newest, err := d.Repo.Aggregate(ctx, rel.From("changes"), "max", "id")
		if err != nil || newest <= last {
			continue // a failed read is retried at the next tick
		}
		var rows []postSeq
		q := rel.Select("post_id", "^MAX(seq) AS seq").From("changes").Where(where.Gt("id", last), where.Lte("id", newest)).Group("post_id")
		if err := d.Repo.FindAll(ctx, &rows, q); err != nil {
			continue
		}
		for _, r := range rows {
			poke(r.PostID, r.Seq)
		}
		last = newest
	}
}

// listen holds one LISTEN connection, reconnecting with backoff after losing it and then asking for a resync.
func (d *DB) listen(ctx context.Context, poke func(postID, seq int64), resync, ready func()) error {
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := d.listenOnce(ctx, poke, func() {
			if first {
				ready()
				first = false
			} else {
				resync() // catch up on what was committed while the connection was down
			}
			backoff = 100 * time.Millisecond
		})
		if ctx.Err() != nil {
			break
		}
		d.log().Warn("watch changes: PostgreSQL listener lost its connection; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
	return nil
}

func (d *DB) listenOnce(ctx context.Context, poke func(postID, seq int64), ready func()) error {
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ChangesChannel}.Sanitize()); err != nil {
		return err
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		postID, seq, err := decodeNotice(n.Payload)
		if err != nil {
			d.log().Warn("watch changes: ignoring malformed notification", "payload", n.Payload, "err", err)
			continue
		}
		poke(postID, seq)
	}
}
