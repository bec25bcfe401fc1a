// Package delivery is the worker of the blog's durable queue of activities (repo/federation's deliveries): each
// round takes the deliveries that are due, claims each for a while (so no other worker or instance sends it
// meanwhile), POSTs it signed as the blog, and records what became of it: done, tried again with back-off, or
// failed for good (refused, or its server away too long).
package delivery

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"blog/activitypub/signature"
	"blog/activitypub/streams"
	"blog/fetch"
	"blog/repo/federation"
)

// Bounds of the delivery queue.
const (
	// Batch is how many due deliveries one round takes; Workers send them, at most that many at once.
	Batch   = 64
	Workers = 8
	// Lease is how long a claimed delivery is left to its worker before anyone tries it again.
	Lease = 2 * time.Minute
	// GiveUp is how long a delivery is tried before its server is taken for dead (Mastodon's is a week).
	GiveUp = 7 * 24 * time.Hour
)

// retryAfter is the wait before each next try; past its end, the last one again until GiveUp.
var retryAfter = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour}

// Worker sends the queue's deliveries, signed with the blog's key.
type Worker struct {
	store *federation.Store
	fetch *fetch.Client
	key   *rsa.PrivateKey
	keyID string
	log   *slog.Logger
}

// New returns a worker that sends through client, signing with key (named keyID).
func New(store *federation.Store, client *fetch.Client, key *rsa.PrivateKey, keyID string, log *slog.Logger) *Worker {
	return &Worker{store: store, fetch: client, key: key, keyID: keyID, log: log}
}

// Round sends the deliveries due now, at most Batch, Workers at a time, and returns how many it took.
func (w *Worker) Round(ctx context.Context) int {
	now := time.Now().UTC()
	due, err := w.store.Due(ctx, now, Batch)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("activitypub: reading the queue", "err", err)
		}
		return 0
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, Workers)
	taken := 0
	for _, d := range due {
		if ok, err := w.store.Claim(ctx, d, now, now.Add(Lease)); err != nil || !ok {
			continue
		}
		taken++
		d.Attempts++
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			w.deliver(ctx, d)
		}()
	}
	wg.Wait()
	return taken
}

// deliver sends one activity, signed, and records what became of it.
func (w *Worker) deliver(ctx context.Context, d federation.Delivery) {
	err := w.send(ctx, d.Inbox, []byte(d.Activity))
	status, next, msg := federation.StatusDone, time.Now(), ""
	if err != nil {
		msg = err.Error()
		if len(msg) > 480 {
			msg = msg[:480]
		}
		var refused refusedError
		switch {
		case errors.As(err, &refused), errors.Is(err, fetch.ErrForbiddenAddress), errors.Is(err, fetch.ErrBadURL):
			status = federation.StatusFailed
		case time.Since(d.CreatedAt) > GiveUp:
			status, msg = federation.StatusFailed, "given up after "+GiveUp.String()+": "+msg
		default:
			status, next = federation.StatusPending, time.Now().Add(retryAfter[min(d.Attempts, len(retryAfter))-1])
		}
	}
	if ferr := w.store.Finish(context.WithoutCancel(ctx), d.ID, status, next, msg); ferr != nil {
		w.log.Error("activitypub: saving a delivery", "id", d.ID, "err", ferr)
	}
	if err != nil {
		w.log.Info("activitypub: delivery failed", "inbox", d.Inbox, "attempts", d.Attempts, "status", status, "err", msg)
	}
}

// refusedError is an inbox's answer that the same request would get again (4xx but 408 and 429).
type refusedError struct{ status int }

func (e refusedError) Error() string { return fmt.Sprintf("refused with status %d", e.status) }

// send POSTs a signed activity to an inbox.
func (w *Worker) send(ctx context.Context, inbox string, body []byte) error {
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(sctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", fetch.ErrBadURL, err)
	}
	req.Header.Set("Content-Type", streams.ContentType)
	req.Header.Set("Accept", streams.Accept)
	if err := signature.Sign(req, body, w.key, w.keyID, time.Now()); err != nil {
		return err
	}
	resp, err := w.fetch.Do(req)
	if err != nil {
		return err
	}
	switch {
	case resp.Status >= 200 && resp.Status < 300:
		return nil
	// A 401 is tried again, as Mastodon does: the server may not have been able to read the blog's key yet.
	case resp.Status >= 400 && resp.Status < 500 && resp.Status != http.StatusUnauthorized &&
		resp.Status != http.StatusRequestTimeout && resp.Status != http.StatusTooManyRequests:
		return refusedError{resp.Status}
	}
	return fmt.Errorf("status %d", resp.Status)
}
