package database

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"
	"github.com/lib/pq"
)

// The change feed: every change to what a post page shows is written, in the transaction that makes it, as a row
// of the changes table, numbered by the post's own sequence (posts.last_seq), and the post's count of published
// comments moves with it (posts.comment_count). Once the transaction commits, the change is announced: to this
// process's listeners at once (OnCommit), and to other processes and instances through PostgreSQL's NOTIFY or,
// on SQLite, by their polling of the feed (WatchChanges).

// ChangesChannel is the PostgreSQL NOTIFY channel on which every committed change is announced.
const ChangesChannel = "blog_changes"

// ChangeRow is a row of the changes table.
type ChangeRow struct {
	ID        int64
	PostID    int64
	Seq       int64
	CommentID int64
	Kind      string
	CreatedAt time.Time
}

func (ChangeRow) Table() string { return "changes" }

// Change is one change to record: which comment, and what happened to it.
type Change struct {
	CommentID int64
	Kind      string
}

// postFeed is the part of a posts row the feed keeps.
type postFeed struct {
	LastSeq      int64
	CommentCount int
}

func (postFeed) Table() string { return "posts" }

// Record appends changes of one post's comments to its feed, in order: it moves the post's sequence on by one
// per change and its count of published comments by delta, inserts the changes, and returns where the feed stands
// (its newest sequence and the count). It must run inside Write, which announces the changes once the
// transaction commits (and on PostgreSQL the NOTIFY is sent only if it does). On PostgreSQL the update locks the
// post's row until commit, so a post's changes commit in sequence order and "everything after seq N" never skips
// one.
func (d *DB) Record(ctx context.Context, postID int64, changes []Change, delta int) (seq int64, count int, err error) {
	pending, ok := ctx.Value(pendingKey{}).(*pendingNotices)
	if !ok {
		return 0, 0, errors.New("record a change: not inside DB.Write")
	}
	q := rel.From("posts").Where(where.Eq("id", postID))
	n, err := d.repo.UpdateAny(ctx, q, rel.IncBy("last_seq", len(changes)), rel.IncBy("comment_count", delta))
	if err != nil {
		return 0, 0, err
	}
	if n != 1 {
		return 0, 0, fmt.Errorf("post %d: %w", postID, ErrNoPost)
	}
	var p postFeed
	if err := d.repo.Find(ctx, &p, rel.Select("last_seq", "comment_count").Where(where.Eq("id", postID))); err != nil {
		return 0, 0, err
	}
	now := time.Now().UTC()
	rows := make([]ChangeRow, len(changes))
	first := p.LastSeq - int64(len(changes)) + 1
	for i, c := range changes {
		rows[i] = ChangeRow{PostID: postID, Seq: first + int64(i), CommentID: c.CommentID, Kind: c.Kind, CreatedAt: now}
	}
	if len(rows) == 1 {
		err = d.repo.Insert(ctx, &rows[0])
	} else {
		err = d.repo.InsertAll(ctx, &rows)
	}
	if err != nil {
		return 0, 0, err
	}
	if d.dialect == Postgres {
		if _, _, err := d.repo.Exec(ctx, "SELECT pg_notify($1, $2)", ChangesChannel, encodeNotice(postID, p.LastSeq)); err != nil {
			return 0, 0, err
		}
	}
	pending.add(postID, p.LastSeq)
	return p.LastSeq, p.CommentCount, nil
}

// ErrNoPost refuses a change of a post that has no row.
var ErrNoPost = errors.New("no such post")

// pendingKey carries, in a write transaction's context, the changes it recorded, to announce after commit.
type pendingKey struct{}

// pendingNotices are the newest sequences a transaction recorded, by post.
type pendingNotices struct{ seqs map[int64]int64 }

func (p *pendingNotices) add(postID, seq int64) {
	if p.seqs == nil {
		p.seqs = map[int64]int64{}
	}
	p.seqs[postID] = max(p.seqs[postID], seq)
}

// OnCommit registers fn to be told, after each commit of this process, the newest sequence of every post whose
// feed the transaction moved. Other processes' commits are reported by WatchChanges.
func (d *DB) OnCommit(fn func(postID, seq int64)) {
	d.committedMu.Lock()
	defer d.committedMu.Unlock()
	d.committed = append(d.committed, fn)
}

// announce tells the OnCommit listeners of a committed transaction's changes.
func (d *DB) announce(p *pendingNotices) {
	if len(p.seqs) == 0 {
		return
	}
	d.committedMu.Lock()
	fns := d.committed
	d.committedMu.Unlock()
	for postID, seq := range p.seqs {
		for _, fn := range fns {
			fn(postID, seq)
		}
	}
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

// pollInterval is how often a SQLite server looks for changes committed by other processes (a command-line
// action, an import): one indexed read of the feed's newest id per interval, whatever the number of streams.
const pollInterval = 300 * time.Millisecond

// WatchChanges reports changes committed by any process until ctx ends: poke(postID, seq) for a post whose feed
// moved, resync() when changes may have been missed (a lost PostgreSQL connection), ready() once watching. On
// PostgreSQL it listens on ChangesChannel; on SQLite it polls the newest change id.
func (d *DB) WatchChanges(ctx context.Context, poke func(postID, seq int64), resync, ready func()) error {
	if d.dialect == Postgres {
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
	last, err := d.repo.Aggregate(ctx, rel.From("changes"), "max", "id")
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
		newest, err := d.repo.Aggregate(ctx, rel.From("changes"), "max", "id")
		if err != nil || newest <= last {
			continue // a failed read is retried at the next tick
		}
		var rows []postSeq
		q := rel.Select("post_id", "^MAX(seq) AS seq").From("changes").Where(where.Gt("id", last), where.Lte("id", newest)).Group("post_id")
		if err := d.repo.FindAll(ctx, &rows, q); err != nil {
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
	notices := make(chan *pq.Notification, 64)
	conn, err := connectListener(ctx, postgresDSN(d.rawURL), notices)
	if err != nil {
		return err
	}
	defer func() {
		conn.Close()
		for range notices { // until lib/pq's reader has stopped, so it never waits on a full channel
		}
	}()
	if ok, err := conn.Listen(ChangesChannel); !ok || err != nil {
		if err == nil {
			err = errors.New("not executed")
		}
		return fmt.Errorf("LISTEN %s: %w", ChangesChannel, err)
	}
	ready()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case n, ok := <-notices:
			if !ok { // the connection is gone
				return conn.Err()
			}
			postID, seq, err := decodeNotice(n.Extra)
			if err != nil {
				d.log().Warn("watch changes: ignoring malformed notification", "payload", n.Extra, "err", err)
				continue
			}
			poke(postID, seq)
		}
	}
}

// connectListener opens a connection for LISTEN, giving up when ctx ends (lib/pq's listener connection takes
// no context: a connection that arrives after that is closed).
func connectListener(ctx context.Context, dsn string, notices chan *pq.Notification) (*pq.ListenerConn, error) {
	type result struct {
		conn *pq.ListenerConn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		conn, err := pq.NewListenerConn(dsn, notices)
		done <- result{conn, err}
	}()
	select {
	case r := <-done:
		return r.conn, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
}
