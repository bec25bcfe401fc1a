package activitypub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"blog/activitypub/delivery"
	"blog/activitypub/remote"
	"blog/activitypub/streams"
	"blog/publish"
	"blog/repo"
	"blog/repo/federation"
)

// Published announces the content just loaded to the followers, once for the whole blog: each published post
// not yet announced as a Create, a post whose Article changed as an Update, a post announced before and no
// longer published as a Delete. A load that skipped files withdraws nothing (a file that could not be read is
// not a post taken down).
func (s *Service) Published(ctx context.Context, snap *publish.Snapshot) {
	s.mu.Lock() // one load at a time on an instance; instances take turns in the store
	defer s.mu.Unlock()
	queued := false
	live := map[int64]bool{}
	// What was announced, read once: a post as it was announced needs no transaction (a load of a blog with a
	// thousand posts writes only what changed).
	announced, hashes, err := s.cfg.Store.Announced(ctx)
	if err != nil {
		s.cfg.Log.Error("activitypub: reading the announced posts", "err", err)
		return
	}
	for _, p := range snap.Lib.Posts {
		id, ok := snap.PostID(p.Slug)
		if !ok || p.Draft {
			continue
		}
		live[id] = true
		art := s.Article(p)
		hash := articleHash(art)
		if hashes[id] == hash {
			continue
		}
		var reply federation.Target
		// A reply post dated before the blog joined the fediverse is not news to the author it answers: turning
		// ActivityPub on sends no one the blog's old replies.
		if p.InReplyTo != "" && !p.Date.Before(s.joined) {
			art, reply = s.addressReply(ctx, art, p.InReplyTo)
		}
		kind, err := s.cfg.Store.AnnounceReply(ctx, id, s.PostURL(p.Slug), hash, reply, func(kind string) ([]byte, error) {
			return s.activity(kind, s.PostURL(p.Slug)+"#"+strings.ToLower(kind)+"-"+hash[:16], art).Bytes(), nil
		})
		if err != nil {
			s.cfg.Log.Error("activitypub: announcing a post", "slug", p.Slug, "err", err)
			continue
		}
		queued = queued || kind != ""
	}
	if len(snap.Lib.Problems) == 0 {
		for id, uri := range announced {
			if live[id] {
				continue
			}
			del := streams.Doc{"@context": streams.Context[0], "id": uri + "#delete-" + streams.ShortHash(time.Now().String()), "type": "Delete",
				"actor": s.ActorID(), "object": streams.Doc{"id": uri, "type": "Tombstone"},
				"to": []string{streams.Public}, "cc": []string{s.url("/ap/followers")}}
			done, err := s.cfg.Store.Withdraw(ctx, id, del.Bytes())
			if err != nil {
				s.cfg.Log.Error("activitypub: withdrawing a post", "post", id, "err", err)
			}
			queued = queued || done
		}
	}
	if queued {
		s.wake()
	}
}

// addressReply addresses a reply post's Article to the author of the post it answers, as Mastodon expects of a
// reply: that post's id as inReplyTo, its author mentioned (tag) and in cc, and their inbox as a target besides
// the followers. The answered post is read from its server, its author is its attributedTo on the same server;
// when either cannot be read (a page that is not on the fediverse, a server away) the post goes to the
// followers alone. The hash of what was announced is the Article's before this, so an author's server being
// away never makes an Update.
func (s *Service) addressReply(ctx context.Context, art streams.Doc, address string) (streams.Doc, federation.Target) {
	if remote.Authority(address) == s.base.Host {
		return art, federation.Target{}
	}
	o, err := s.Object(ctx, address)
	author := streams.Ref(o.AttributedTo)
	if err == nil && (author == "" || remote.HostOf(author) != remote.HostOf(o.ID) || remote.HostOf(o.ID) != remote.HostOf(address)) {
		err = errors.New("no author on the post's server")
	}
	var a federation.Actor
	if err == nil {
		a, err = s.remote.Actor(ctx, author, false)
	}
	if err != nil {
		s.cfg.Log.Info("activitypub: the post replied to is not on the fediverse; the reply goes to the followers", "in_reply_to", address, "err", err)
		return art, federation.Target{}
	}
	out := make(streams.Doc, len(art)+2)
	for k, v := range art {
		out[k] = v
	}
	out["inReplyTo"] = o.ID
	out["cc"] = []string{s.url("/ap/followers"), a.URI}
	name := a.Handle
	if name == "" {
		name = a.URI
	}
	out["tag"] = append(append([]streams.Doc{}, art["tag"].([]streams.Doc)...), streams.Doc{"type": "Mention", "href": a.URI, "name": name})
	inbox := a.Inbox
	if a.SharedInbox != "" {
		inbox = a.SharedInbox
	}
	return out, federation.Target{Inbox: inbox, Domain: remote.HostOf(inbox)}
}

// OwnerReplied sends the owner's reply to a comment that came from the fediverse back to its author's server,
// as a Note in reply to the original, once for the whole blog. Any other comment is none of its business.
func (s *Service) OwnerReplied(ctx context.Context, c repo.Comment) error {
	if !c.ByOwner || c.ParentID == nil || c.State != repo.StatePublished {
		return nil
	}
	note, author, ok, err := s.ownerNote(ctx, c)
	if err != nil || !ok {
		return err
	}
	inbox := author.Inbox
	if author.SharedInbox != "" {
		inbox = author.SharedInbox
	}
	id := s.CommentID(c.ID)
	to := []federation.Target{{Inbox: inbox, Domain: remote.HostOf(inbox)}}
	sent, err := s.cfg.Store.SendOnce(ctx, federation.Object{URI: id, CommentID: c.ID, PostID: c.PostID, ActorURI: s.ActorID()},
		to, s.activity("Create", id+"#create", note).Bytes())
	// A reply sent before and edited since goes as an Update, once per edit (Mastodon shows the new text).
	if err == nil && !sent && c.EditedAt != nil {
		key := fmt.Sprintf("%s#update-%d", id, c.EditedAt.UnixNano())
		note["updated"] = c.EditedAt.UTC().Format(time.RFC3339)
		sent, err = s.cfg.Store.SendOnce(ctx, federation.Object{URI: key, CommentID: c.ID, PostID: c.PostID, ActorURI: s.ActorID()},
			to, s.activity("Update", key, note).Bytes())
	}
	if sent {
		s.wake()
	}
	return err
}

// OwnerRemoved tells the author's server, once, that the owner's reply sent there was deleted (a Delete with a
// Tombstone, as Mastodon sends when a post is deleted). Any other comment is none of its business.
func (s *Service) OwnerRemoved(ctx context.Context, c repo.Comment) error {
	if !c.ByOwner || c.State != repo.StateDeleted {
		return nil
	}
	id := s.CommentID(c.ID)
	sent, err := s.cfg.Store.Object(ctx, id)
	if errors.Is(err, repo.ErrNotFound) || (err == nil && !sent.Outgoing) {
		return nil
	}
	if err != nil {
		return err
	}
	_, author, ok, err := s.ownerNote(ctx, c)
	if err != nil || !ok {
		return err
	}
	inbox := author.Inbox
	if author.SharedInbox != "" {
		inbox = author.SharedInbox
	}
	del := streams.Doc{"@context": streams.Context[0], "id": id + "#delete", "type": "Delete", "actor": s.ActorID(),
		"object": streams.Doc{"id": id, "type": "Tombstone"}, "to": []string{author.URI}, "cc": []string{streams.Public}}
	queued, err := s.cfg.Store.SendOnce(ctx, federation.Object{URI: id + "#delete", CommentID: c.ID, PostID: c.PostID, ActorURI: s.ActorID()},
		[]federation.Target{{Inbox: inbox, Domain: remote.HostOf(inbox)}}, del.Bytes())
	if queued {
		s.wake()
	}
	return err
}

// ownerNote is the owner's reply c as a Note in reply to the fediverse comment it answers, addressed to that
// comment's author; false when c does not answer one.
func (s *Service) ownerNote(ctx context.Context, c repo.Comment) (streams.Doc, federation.Actor, bool, error) {
	if c.ParentID == nil {
		return nil, federation.Actor{}, false, nil
	}
	parent, err := s.cfg.Store.ObjectOf(ctx, *c.ParentID)
	if errors.Is(err, repo.ErrNotFound) || (err == nil && parent.Outgoing) {
		return nil, federation.Actor{}, false, nil
	}
	if err != nil {
		return nil, federation.Actor{}, false, err
	}
	author, err := s.cfg.Store.Actor(ctx, parent.ActorURI)
	if err != nil {
		return nil, federation.Actor{}, false, err
	}
	postURL := ""
	if sl, ok := s.cfg.Content.Current().Slug(c.PostID); ok {
		postURL = s.PostURL(sl)
	}
	note := streams.Doc{
		"@context":     streams.Context[0],
		"id":           s.CommentID(c.ID),
		"type":         "Note",
		"attributedTo": s.ActorID(),
		"inReplyTo":    parent.URI,
		"content":      string(c.Rendered()),
		"url":          fmt.Sprintf("%s#comment-%d", postURL, c.ID),
		"published":    c.CreatedAt.UTC().Format(time.RFC3339),
		"to":           []string{author.URI},
		"cc":           []string{streams.Public, s.url("/ap/followers")},
		"tag":          []streams.Doc{{"type": "Mention", "href": author.URI, "name": author.Handle}},
	}
	if postURL != "" {
		note["context"] = postURL
	}
	return note, author, true, nil
}

// Note returns the blog's comment with this id as the Note it was sent as (for servers that read it by its
// id: a reply to it from a third server, a search): false for a comment that was never sent, or is no longer
// shown.
func (s *Service) Note(ctx context.Context, id int64) (streams.Doc, bool, error) {
	o, err := s.cfg.Store.Object(ctx, s.CommentID(id))
	if errors.Is(err, repo.ErrNotFound) || (err == nil && !o.Outgoing) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	c, err := s.cfg.Moderation.Comment(ctx, id)
	if errors.Is(err, repo.ErrNotFound) || (err == nil && c.State != repo.StatePublished) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	note, _, ok, err := s.ownerNote(ctx, c)
	if ok {
		note["@context"] = streams.Context
	}
	return note, ok, err
}

// Run delivers due activities until ctx ends, and removes finished deliveries after a day.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.cfg.Every)
	defer tick.Stop()
	if s.cfg.MovedTo != "" {
		s.announceMove(ctx)
	}
	for {
		if snap := s.takeLoaded(); snap != nil {
			s.Published(ctx, snap)
		}
		for s.Round(ctx) == delivery.Batch && ctx.Err() == nil {
		}
		if _, err := s.cfg.Store.Prune(ctx, time.Now().Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("activitypub: pruning deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.poke:
		case <-tick.C:
		}
	}
}

// Round sends the deliveries due now, at most delivery.Batch, and returns how many it took.
func (s *Service) Round(ctx context.Context) int { return s.delivery.Round(ctx) }

// announceMove tells every follower once that the account moved to MovedTo (Mastodon's Move: their servers read
// the new actor, check that it names this one in alsoKnownAs, and follow it instead).
func (s *Service) announceMove(ctx context.Context) {
	move := streams.Doc{"@context": streams.Context[0], "id": s.ActorID() + "#moves/" + streams.ShortHash(s.cfg.MovedTo), "type": "Move",
		"actor": s.ActorID(), "object": s.ActorID(), "target": s.cfg.MovedTo,
		"to": []string{s.url("/ap/followers")}}
	sent, err := s.cfg.Store.Broadcast(ctx, "move "+s.cfg.MovedTo, move.Bytes())
	if err != nil {
		s.cfg.Log.Error("activitypub: announcing the move", "to", s.cfg.MovedTo, "err", err)
		return
	}
	if sent > 0 {
		s.cfg.Log.Info("activitypub: the move is announced to every follower's server", "to", s.cfg.MovedTo, "servers", sent)
	}
}
