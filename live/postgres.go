package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is the broker for instances sharing one PostgreSQL database. Every comment is announced with
// pg_notify inside its insert's transaction (so only committed comments are announced); each instance keeps one
// connection listening on the channel and fans what it hears out to its own streams.
type Postgres struct {
	*fanout
	url     string
	channel string
	// connected is closed once the first LISTEN is in place.
	connected chan struct{}
}

// NewPostgres returns a broker listening on channel of the database at url.
func NewPostgres(ctx context.Context, url, channel string, fetch Fetch, latest Latest, log *slog.Logger) (*Postgres, error) {
	f := newFanout(fetch, latest, log)
	if err := f.start(ctx); err != nil {
		return nil, err
	}
	return &Postgres{fanout: f, url: url, channel: channel, connected: make(chan struct{})}, nil
}

// Committed does nothing: the insert's transaction announced the comment already, and this instance hears it
// like every other.
func (p *Postgres) Committed(postID, commentID int64) {}

// Listening is closed once the broker's LISTEN is in place.
func (p *Postgres) Listening() <-chan struct{} { return p.connected }

// Run listens until ctx ends, reconnecting with backoff after a lost connection and then looking for comments
// missed meanwhile.
func (p *Postgres) Run(ctx context.Context) error {
	go p.run(ctx)
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := p.listen(ctx, func() {
			if first {
				close(p.connected)
				first = false
			} else {
				p.pokeAll() // catch up on what was committed while the connection was down
			}
			backoff = 100 * time.Millisecond
		})
		if ctx.Err() != nil {
			break
		}
		p.log.Warn("live: PostgreSQL listener lost its connection; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
	return nil
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (p *Postgres) listen(ctx context.Context, ready func()) error {
	conn, err := pgx.Connect(ctx, p.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{p.channel}.Sanitize()); err != nil {
		return err
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		postID, commentID, err := parsePayload(n.Payload)
		if err != nil {
			p.log.Warn("live: ignoring malformed notification", "payload", n.Payload, "err", err)
			continue
		}
		p.poke(postID, commentID)
	}
}

// parsePayload reads "postID:commentID".
func parsePayload(s string) (postID, commentID int64, err error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, errors.New("want postID:commentID")
	}
	if postID, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("post id: %w", err)
	}
	if commentID, err = strconv.ParseInt(b, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("comment id: %w", err)
	}
	return postID, commentID, nil
}

var _ Broker = (*Postgres)(nil)
