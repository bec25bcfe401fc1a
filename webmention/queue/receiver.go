// Package queue works the two durable queues of Webmentions in the background, speaking the protocol through
// package webmention: the Receiver verifies each mention received and turns a verified reply or mention into the
// comment it stands for, through moderation; the Sender queues a notification for each link a published post
// adds, keeps through a change or removes, and sends them with retries.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"blog/fetch"
	"blog/importer/source"
	"blog/moderation"
	"blog/repo"
	"blog/repo/mentions"
	"blog/spam"
	"blog/webmention"
)

// Store is what the receiver needs of the mention store.
type Store interface {
	Receive(ctx context.Context, r mentions.Received) (mentions.Webmention, error)
	Due(ctx context.Context, now time.Time, n int) ([]mentions.Webmention, error)
	Claim(ctx context.Context, w mentions.Webmention, now, lease time.Time) (bool, error)
	Save(ctx context.Context, w mentions.Webmention, read time.Time) (bool, error)
}

// Moderator is the one door every comment passes (moderation.Service): a reply from another site is screened
// and stored like a comment, edited like one when it is sent again, deleted like one when its source goes.
type Moderator interface {
	Post(ctx context.Context, n repo.NewComment, c moderation.Candidate) (repo.Comment, repo.Stamp, moderation.Decision, error)
	EditOwn(ctx context.Context, e moderation.OwnEdit) (repo.Comment, repo.Stamp, moderation.Decision, error)
	DeleteOwn(ctx context.Context, id int64) (repo.Moved, error)
	Act(ctx context.Context, actor, action string, ids []int64) ([]repo.Moved, error)
	Comment(ctx context.Context, id int64) (repo.Comment, error)
}

// Pictures keeps the blog's own copy of a picture another site names (pictures.Service): an author's photo is
// fetched once, checked and served by the blog, so a page that shows it loads nothing from another host.
type Pictures interface {
	Fetch(ctx context.Context, remoteURL string) (string, error)
}

var (
	_ Store     = (*mentions.Store)(nil)
	_ Moderator = (*moderation.Service)(nil)
)

// Bounds of the verification queue.
const (
	// Batch is how many due mentions one round takes; they are verified one after the other, so a flood of
	// requests costs the blog one fetch at a time.
	Batch = 8
	// Lease is how long a claimed mention is left to its worker before anyone tries it again.
	Lease = 2 * time.Minute
	// Tries is how often a source that cannot be reached is tried before its mention is given up.
	Tries = 5
)

// retryAfter is the wait before each next try of a source that could not be reached.
var retryAfter = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 12 * time.Hour}

// Receiver accepts mentions into the durable queue and verifies them in the background.
type Receiver struct {
	Store      Store
	Moderation Moderator
	Fetch      webmention.Fetcher
	// Pictures, when set, copies the authors' photos of replies and mentions; without it they show the blog's
	// drawn picture.
	Pictures Pictures
	Logger   *slog.Logger
	// Every is how often the queue is looked at when nothing pokes it (a mention received by another instance).
	Every time.Duration
	poke  chan struct{}
}

// NewReceiver returns a receiver; Run starts its worker.
func NewReceiver(st Store, mod Moderator, f webmention.Fetcher, logger *slog.Logger) *Receiver {
	return &Receiver{Store: st, Moderation: mod, Fetch: f, Logger: logger, Every: 30 * time.Second, poke: make(chan struct{}, 1)}
}

// Accept stores a checked request as pending (before it is answered 202, so that no restart loses it) and
// wakes the worker.
func (r *Receiver) Accept(ctx context.Context, rec mentions.Received) (mentions.Webmention, error) {
	w, err := r.Store.Receive(ctx, rec)
	if err == nil {
		select {
		case r.poke <- struct{}{}:
		default:
		}
	}
	return w, err
}

// Run verifies due mentions until ctx ends.
func (r *Receiver) Run(ctx context.Context) {
	tick := time.NewTicker(r.Every)
	defer tick.Stop()
	for {
		for r.Round(ctx) == Batch && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return
		case <-r.poke:
		case <-tick.C:
		}
	}
}

// Round verifies the mentions due now, at most Batch of them, and returns how many it took (none when others
// took them first or the queue could not be read).
func (r *Receiver) Round(ctx context.Context) int {
	now := time.Now().UTC()
	due, err := r.Store.Due(ctx, now, Batch)
	if err != nil && ctx.Err() == nil {
		r.Logger.Error("webmention: reading the queue", "err", err)
	}
	if err != nil {
		return 0
	}
	taken := 0
	for _, w := range due {
		if ok, err := r.Store.Claim(ctx, w, now, now.Add(Lease)); err != nil || !ok {
			continue
		}
		taken++
		w.Attempts++
		r.process(ctx, w)
	}
	return taken
}

// process verifies one mention and applies what it found.
func (r *Receiver) process(ctx context.Context, w mentions.Webmention) {
	read := w.UpdatedAt
	src, errS := url.Parse(w.Source)
	tgt, errT := url.Parse(w.Target)
	if errS != nil || errT != nil {
		w.Status, w.LastError = mentions.StatusFailed, "unreadable addresses"
		r.save(ctx, w, read)
		return
	}
	vctx, cancel := context.WithTimeout(ctx, time.Minute)
	m, err := webmention.Verify(vctx, r.Fetch, src, tgt)
	cancel()
	switch {
	case errors.Is(err, webmention.ErrGone) || errors.Is(err, webmention.ErrNoLink):
		r.unlink(ctx, &w)
		w.Status, w.LastError = mentions.StatusRemoved, err.Error()
	case err != nil:
		w.LastError = webmention.Bound(err.Error(), 480)
		if w.Attempts >= Tries || final(err) {
			w.Status = mentions.StatusFailed
		} else {
			w.Status, w.NextTryAt = mentions.StatusPending, time.Now().UTC().Add(retryAfter[min(w.Attempts, len(retryAfter))-1])
		}
	default:
		w.Kind, w.AuthorName, w.AuthorURL, w.URL = string(m.Kind), m.AuthorName, m.AuthorURL, m.URL
		w.Status, w.LastError = mentions.StatusVerified, ""
		if err := r.apply(ctx, &w, m); err != nil {
			w.Status, w.LastError = mentions.StatusFailed, webmention.Bound(err.Error(), 480)
		}
	}
	r.save(ctx, w, read)
}

func (r *Receiver) save(ctx context.Context, w mentions.Webmention, read time.Time) {
	if _, err := r.Store.Save(ctx, w, read); err != nil {
		if ctx.Err() == nil { // at shutdown its lease runs out and it is verified again
			r.Logger.Error("webmention: saving", "id", w.ID, "err", err)
		}
		return
	}
	r.Logger.Info("webmention: verified", "source", w.Source, "target", w.Target, "status", w.Status, "kind", w.Kind,
		"comment", w.CommentID, "error", w.LastError)
}

// apply makes a verified reply or mention the comment it stands for (created, or edited when it was sent
// again), and takes away the comment of one that became a like or a repost.
func (r *Receiver) apply(ctx context.Context, w *mentions.Webmention, m webmention.Mention) error {
	if m.Kind == webmention.KindLike || m.Kind == webmention.KindRepost {
		r.unlink(ctx, w)
		return nil
	}
	body := commentBody(m)
	if w.CommentID != nil {
		c, err := r.Moderation.Comment(ctx, *w.CommentID)
		if err == nil && c.State != repo.StateDeleted {
			if c.Body == body {
				return nil
			}
			_, _, _, err = r.Moderation.EditOwn(ctx, moderation.OwnEdit{Comment: c, Body: body, IPHash: w.IPHash, NetHash: w.NetHash})
			if errors.Is(err, repo.ErrModerated) || errors.Is(err, repo.ErrHasReplies) {
				// As for an author's edit: once the owner acted on it or someone answered it, it stays as it was.
				return nil
			}
			return err
		}
	}
	host := strings.TrimPrefix(strings.ToLower(hostOf(w.Source)), "www.")
	email := "webmention@" + host
	kind := repo.MentionLink
	if m.Kind == webmention.KindReply {
		kind = repo.MentionReply
	}
	n := repo.NewComment{PostID: w.PostID, Input: repo.CommentInput{Username: m.AuthorName, Email: email, Body: body},
		IPHash: w.IPHash, NetHash: w.NetHash, Format: repo.FormatMarkdown,
		SourceURL: m.URL, AuthorURL: m.AuthorURL, MentionKind: kind, AuthorPhoto: r.picture(ctx, m.AuthorPhoto)}
	// The same door as the comment form: bans (the source's domain is banned as an email domain), the spam rules
	// on the name and text, the moderation mode. No form was filled in, so the form's timestamp rules do not
	// apply.
	c, _, d, err := r.Moderation.Post(ctx, n, moderation.Candidate{Email: email, IPHash: w.IPHash, NetHash: w.NetHash,
		Submission: spam.Submission{Name: m.AuthorName, Body: body, FormValid: true, FormAge: 24 * time.Hour}})
	if errors.Is(err, repo.ErrClosed) {
		return errors.New("the post is closed to comments")
	}
	if err != nil {
		return err
	}
	w.CommentID = &c.ID
	if d.State != repo.StatePublished {
		w.LastError = webmention.Bound("comment "+d.State+": "+d.Reason, 480)
	}
	return nil
}

// picture returns the blog's copy of the author's photo at remote, fetched now or earlier; "" when there is none
// or it cannot be had (the comment then shows the blog's drawn picture: a photo is never worth a lost reply).
func (r *Receiver) picture(ctx context.Context, remote string) string {
	if remote == "" || r.Pictures == nil {
		return ""
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	local, err := r.Pictures.Fetch(pctx, remote)
	if err != nil {
		if ctx.Err() == nil {
			r.Logger.Info("webmention: the author's picture is not shown", "picture", remote, "err", err)
		}
		return ""
	}
	return local
}

// unlink removes the comment a mention became, as its author would: when the owner acted on it or someone
// answered it, the owner's delete takes it away instead (its replies keep their place).
func (r *Receiver) unlink(ctx context.Context, w *mentions.Webmention) {
	if w.CommentID == nil {
		return
	}
	id := *w.CommentID
	if _, err := r.Moderation.DeleteOwn(ctx, id); err != nil && !errors.Is(err, repo.ErrNotFound) {
		if _, err := r.Moderation.Act(ctx, "webmention: the source is gone", "delete", []int64{id}); err != nil {
			r.Logger.Error("webmention: removing the comment", "comment", id, "err", err)
			return
		}
	}
	w.CommentID = nil
}

// commentBody is the mention's text as the blog's Markdown: the sanitised HTML converted (richtext renders it
// by the comments' own rules), bounded as a comment is; a mention with no text says where it was made.
func commentBody(m webmention.Mention) string {
	body := ""
	if m.HTML != "" {
		if md, _, err := source.ToMarkdown(m.HTML, source.HTML); err == nil {
			body = md
		}
	}
	if strings.TrimSpace(body) == "" {
		body = fmt.Sprintf("Mentioned this post on %s.", strings.TrimPrefix(hostOf(m.URL), "www."))
	}
	return webmention.Bound(body, repo.MaxBody)
}

// final reports a fetch that would fail the same way again: a refused address, a page too large, too many
// redirects, an address that is not http or https.
func final(err error) bool {
	return errors.Is(err, fetch.ErrForbiddenAddress) || errors.Is(err, fetch.ErrTooLarge) ||
		errors.Is(err, fetch.ErrTooManyRedirects) || errors.Is(err, fetch.ErrBadURL)
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
