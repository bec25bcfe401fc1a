// Package web holds what the blog's handler packages share about a request and its answer: a refusal the
// visitor can act on, telling an htmx request, reading an id, the content snapshot it is answered from, the post
// a request names, the layout's data for
// a public page, and waiting until this instance has taken in a change made here.
package web

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/content"
	"blog/csrf"
	"blog/publish"
	"blog/repo"
	"blog/views"
)

// Refusal is a request refused for a reason the visitor can act on: its sentence is shown as it is (beside the
// comment when NoticeID names where, for htmx), never replaced by a generic one.
type Refusal struct {
	Status   int
	Msg      string
	NoticeID string
}

func (r Refusal) Error() string { return r.Msg }

// IsHTMX reports a request made by htmx (as opposed to a plain form post or link).
func IsHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// ParseID reads an id from a path or form value: 0 for anything that is not one.
func ParseID(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// snapshotKey is where a request keeps the content snapshot it is answered from (Current).
type snapshotKey struct{}

// Current returns the content snapshot this request is answered from: the current one when first asked, then
// the same one for the rest of the request. A page is then all of one load of the content, and one kept in the
// cache under a snapshot's version shows that snapshot (one read from the load before, kept under the next,
// would be served until the next change).
func Current(c *fiber.Ctx, content interface{ Current() *publish.Snapshot }) *publish.Snapshot {
	if snap, ok := c.Locals(snapshotKey{}).(*publish.Snapshot); ok {
		return snap
	}
	snap := content.Current()
	c.Locals(snapshotKey{}, snap)
	return snap
}

// LookupPost finds the published post named by the :slug parameter in the content snap, with its database id.
func LookupPost(c *fiber.Ctx, snap *publish.Snapshot) (content.Post, int64, error) {
	p, ok := snap.Lib.PostBySlug(c.Params("slug"))
	id, hasRow := snap.PostID(p.Slug)
	if !ok || !hasRow {
		return content.Post{}, 0, fiber.ErrNotFound
	}
	return p, id, nil
}

// Chrome returns the layout's data for a public page: the site's, with the visitor's CSRF token, and the
// navigation of the current content lib with the section the request is in marked.
func Chrome(c *fiber.Ctx, site views.Chrome, lib *content.Library) views.Chrome {
	ch := site.ForRequest(csrf.Token(c))
	ch.Nav = views.Navigation(lib.Pages, c.Path())
	return ch
}

// Syncer waits until this instance's broker (live.Broker) has handled a change made here: the database told it
// after the commit, and the writer's next page must show it.
type Syncer interface {
	Sync(ctx context.Context, postID, seq int64)
}

// SyncTimeout bounds how long a write waits for this instance to take in its own change.
const SyncTimeout = 2 * time.Second

// Sync waits until this instance's streams and cached lists have a change made here, so the writer's next page
// shows it.
func Sync(c *fiber.Ctx, b Syncer, postID, seq int64) {
	ctx, cancel := context.WithTimeout(c.UserContext(), SyncTimeout)
	b.Sync(ctx, postID, seq)
	cancel()
}

// SyncMoved waits, as Sync does, for the changes of comments an action moved.
func SyncMoved(c *fiber.Ctx, b Syncer, moved []repo.Moved) {
	for _, m := range moved {
		Sync(c, b, m.PostID, m.Stamp.Seq)
	}
}
