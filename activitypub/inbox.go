package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"blog/activitypub/remote"
	"blog/activitypub/signature"
	"blog/activitypub/streams"
	"blog/importer/source"
	"blog/moderation"
	"blog/repo"
	"blog/repo/federation"
	"blog/spam"
)

// MaxActivity bounds an activity's body, in bytes: the bound of every request to the blog (a reply is a few KB;
// Mastodon's own bound is 1 MB).
const MaxActivity = 64 << 10

// Receive takes a signed POST to the inbox: the signature verified against its actor's key (read and kept, never
// from a non-public address unless the client allows it), the activity's actor the signer, then the activity
// applied. Unknown types, and replies to what is not here, are accepted and ignored, as every server does.
func (s *Service) Receive(ctx context.Context, req *http.Request, body []byte) error {
	if len(body) > MaxActivity {
		return BadActivity{"The activity is too large."}
	}
	var a streams.Object
	if err := json.Unmarshal(body, &a); err != nil {
		return BadActivity{"The body is not an ActivityStreams document."}
	}
	keyID, err := signature.KeyID(req)
	if err != nil {
		return err
	}
	// The signature covers Host: one made for another server's inbox (another blog's /ap/inbox, say) is not
	// one for this blog, or whoever received it could replay it here.
	if host := signature.Host(req); !sameHost(host, s.base) {
		return fmt.Errorf("%w: signed for %q, not for this blog (%s)", signature.ErrSignature, host, s.base.Host)
	}
	actor, err := s.verified(ctx, req, body, keyID)
	if err != nil {
		return err
	}
	if a.ActorID() != actor.URI {
		return fmt.Errorf("%w: the activity's actor %q is not the signer %s", ErrRefused, a.ActorID(), actor.URI)
	}
	if a.ID != "" && remote.HostOf(a.ID) != remote.HostOf(actor.URI) {
		return fmt.Errorf("%w: the activity's id %q is not on its actor's server", ErrRefused, a.ID)
	}
	if banned, err := s.banned(ctx, actor.URI); err != nil {
		return err
	} else if banned {
		s.cfg.Log.Info("activitypub: dropped an activity from a banned domain", "actor", actor.URI, "type", a.TypeName())
		return nil
	}
	return s.apply(ctx, a, actor)
}

// verified returns the signer of req after checking the signature; a key that does not verify is read again
// once (its owner may have replaced it).
func (s *Service) verified(ctx context.Context, req *http.Request, body []byte, keyID string) (federation.Actor, error) {
	actor, err := s.remote.KeyOwner(ctx, keyID, false)
	if errors.Is(err, ErrBusy) {
		return actor, err
	}
	if err != nil {
		return actor, fmt.Errorf("%w: %v", signature.ErrSignature, err)
	}
	verify := func(a federation.Actor) error {
		pub, err := signature.ParsePublicKey(a.PublicKey)
		if err != nil {
			return fmt.Errorf("%w: %v", signature.ErrSignature, err)
		}
		return signature.Verify(req, body, pub, time.Now())
	}
	err = verify(actor)
	if err != nil && !errors.Is(err, signature.ErrSignature) {
		return actor, err
	}
	if err != nil && time.Since(actor.FetchedAt) > time.Minute {
		if again, ferr := s.remote.KeyOwner(ctx, keyID, true); ferr == nil && again.PublicKey != actor.PublicKey {
			actor, err = again, verify(again)
		}
	}
	return actor, err
}

// banned reports a server whose domain the owner banned (the console's ban of an email domain).
func (s *Service) banned(ctx context.Context, actorURI string) (bool, error) {
	if s.cfg.Bans == nil {
		return false, nil
	}
	_, hit, err := s.cfg.Bans.Match(ctx, "fediverse@"+remote.HostOf(actorURI), "", "")
	return hit, err
}

// apply does what an activity from actor asks.
func (s *Service) apply(ctx context.Context, a streams.Object, actor federation.Actor) error {
	switch a.TypeName() {
	case "Follow":
		return s.follow(ctx, a, actor)
	case "Undo":
		return s.undo(ctx, a, actor)
	case "Create":
		return s.create(ctx, a, actor)
	case "Update":
		return s.update(ctx, a, actor)
	case "Delete":
		return s.remove(ctx, a, actor)
	case "Like", "EmojiReact":
		return s.react(ctx, a, actor, federation.KindLike)
	case "Announce":
		return s.react(ctx, a, actor, federation.KindBoost)
	case "Accept", "Reject":
		if s.cfg.Following != nil {
			return s.cfg.Following.Answered(ctx, a, actor, a.TypeName() == "Accept")
		}
	}
	return nil // Add, Block, Move, Flag...: nothing the blog does
}

func (s *Service) follow(ctx context.Context, a streams.Object, actor federation.Actor) error {
	if streams.Ref(a.Object) != s.ActorID() {
		return nil
	}
	if a.ID == "" || len(a.ID) > 2048 {
		return BadActivity{"A Follow needs an id."}
	}
	err := s.cfg.Store.Follow(ctx, federation.Follower{ActorURI: actor.URI, Inbox: actor.Inbox, SharedInbox: actor.SharedInbox,
		Domain: remote.HostOf(actor.URI), Handle: actor.Handle, FollowID: a.ID})
	if err != nil {
		return err
	}
	accept := streams.Doc{"@context": streams.Context[0], "id": s.ActorID() + "#accepts/" + shortHash(a.ID), "type": "Accept",
		"actor": s.ActorID(), "object": streams.Doc{"id": a.ID, "type": "Follow", "actor": actor.URI, "object": s.ActorID()}}
	if err := s.cfg.Store.Queue(ctx, []federation.Target{{Inbox: actor.Inbox, Domain: remote.HostOf(actor.Inbox)}}, accept.Bytes()); err != nil {
		return err
	}
	s.wake()
	s.cfg.Log.Info("activitypub: new follower", "actor", actor.URI)
	return nil
}

func (s *Service) undo(ctx context.Context, a streams.Object, actor federation.Actor) error {
	inner, embedded := streams.Embedded(a.Object)
	innerID := streams.Ref(a.Object)
	kind := ""
	if embedded {
		if inner.ActorID() != "" && inner.ActorID() != actor.URI {
			return fmt.Errorf("%w: an Undo of another's activity", ErrRefused)
		}
		kind = inner.TypeName()
	}
	switch kind {
	case "Follow":
		_, err := s.cfg.Store.Unfollow(ctx, actor.URI)
		return err
	case "Like", "Announce", "EmojiReact", "":
		return s.cfg.Store.Unreact(ctx, innerID, actor.URI)
	}
	return nil
}

func (s *Service) react(ctx context.Context, a streams.Object, actor federation.Actor, kind string) error {
	postID, ok := s.postOf(streams.Ref(a.Object))
	if !ok || a.ID == "" || len(a.ID) > 2048 {
		return nil
	}
	return s.cfg.Store.React(ctx, federation.Reaction{ActivityURI: a.ID, ActorURI: actor.URI, Name: actor.Name, PostID: postID, Kind: kind})
}

// noteTypes are the objects that can become comments.
var noteTypes = map[string]bool{"Note": true, "Article": true, "Page": true}

// create makes a reply to a post of the blog, or to a comment under one, the comment it stands for.
func (s *Service) create(ctx context.Context, a streams.Object, actor federation.Actor) error {
	o, ok := streams.Embedded(a.Object)
	if !ok || !noteTypes[o.TypeName()] || o.ID == "" || len(o.ID) > 2048 {
		return nil
	}
	if remote.HostOf(o.ID) != remote.HostOf(actor.URI) || (streams.Ref(o.AttributedTo) != "" && streams.Ref(o.AttributedTo) != actor.URI) {
		return fmt.Errorf("%w: a note attributed to another", ErrRefused)
	}
	// A post of someone the blog follows is kept for the owner to read, whatever it answers.
	if s.cfg.Following != nil {
		if _, err := s.cfg.Following.Received(ctx, o, actor); err != nil {
			return err
		}
	}
	postID, parentID, ok := s.repliesTo(ctx, streams.Ref(o.InReplyTo))
	if !ok {
		return nil // not a reply to anything here (a post that does not exist, a stranger's thread)
	}
	// Claimed first, so the same note delivered twice (or to two instances) is one comment.
	claimed, err := s.cfg.Store.SaveObject(ctx, federation.Object{URI: o.ID, PostID: postID, ActorURI: actor.URI})
	if err != nil || !claimed {
		return err
	}
	c, err := s.post(ctx, o, actor, postID, parentID)
	if err != nil {
		_ = s.cfg.Store.DropObject(ctx, o.ID)
		var bad repo.BadParentError
		if errors.Is(err, repo.ErrClosed) || errors.As(err, &bad) {
			s.cfg.Log.Info("activitypub: reply not taken", "object", o.ID, "reason", err.Error())
			return nil
		}
		return err
	}
	return s.cfg.Store.SetObjectComment(ctx, o.ID, c.ID)
}

// repliesTo finds what inReplyTo names: a post of the blog, or a comment under one that came from the fediverse
// or that the blog sent.
func (s *Service) repliesTo(ctx context.Context, inReplyTo string) (postID, parentID int64, ok bool) {
	if inReplyTo == "" {
		return 0, 0, false
	}
	if id, ok := s.postOf(inReplyTo); ok {
		return id, 0, true
	}
	o, err := s.cfg.Store.Object(ctx, inReplyTo)
	if err != nil || o.CommentID == 0 {
		return 0, 0, false
	}
	return o.PostID, o.CommentID, true
}

// post stores a note as a comment through moderation: bans (the server's domain as an email domain), the spam
// rules on its name and text, the moderation mode. No form was filled in, so the form's timestamp rules do not
// apply.
func (s *Service) post(ctx context.Context, o streams.Object, actor federation.Actor, postID, parentID int64) (repo.Comment, error) {
	body := s.commentBody(o)
	email := emailOf(actor)
	n := repo.NewComment{PostID: postID, ParentID: parentID,
		Input:     repo.CommentInput{Username: actor.Name, Email: email, Body: body},
		Format:    repo.FormatMarkdown,
		SourceURL: originalURL(o), AuthorURL: actor.ProfileURL, MentionKind: repo.MentionFediverse, AuthorHandle: actor.Handle,
		AuthorPhoto: s.picture(ctx, actor.IconURL)}
	c, _, d, err := s.cfg.Moderation.Post(ctx, n, moderation.Candidate{Email: email,
		Submission: spam.Submission{Name: actor.Name, Body: body, FormValid: true, FormAge: 24 * time.Hour}})
	if err == nil {
		s.cfg.Log.Info("activitypub: reply", "object", o.ID, "comment", c.ID, "state", d.State, "reason", d.Reason)
	}
	return c, err
}

// emailOf is the address a fediverse author's comments are kept under: their handle's, marked so that no
// address a reader types is the same commenter, and with the server's domain, so that a ban of the domain
// holds them.
func emailOf(a federation.Actor) string {
	user := "someone"
	if h := strings.TrimPrefix(a.Handle, "@"); h != "" {
		user, _, _ = strings.Cut(h, "@")
	}
	return strings.ToLower(user) + "+activitypub@" + remote.HostOf(a.URI)
}

// originalURL is the note's page on its server (its url when on the same server, else its id).
func originalURL(o streams.Object) string {
	if u := streams.URLOf(o.URL); u != "" && remote.HostOf(u) == remote.HostOf(o.ID) && len(u) <= 2048 {
		return u
	}
	return o.ID
}

// update follows an edit of a note that became a comment, as its author's edit (screened again); an actor's
// own update refreshes what is kept of it.
func (s *Service) update(ctx context.Context, a streams.Object, actor federation.Actor) error {
	o, ok := streams.Embedded(a.Object)
	if !ok {
		return nil
	}
	if o.ID == actor.URI {
		_, err := s.remote.Actor(ctx, actor.URI, true)
		return err
	}
	if !noteTypes[o.TypeName()] {
		return nil
	}
	if s.cfg.Following != nil && o.ID != "" && len(o.ID) <= 2048 && remote.HostOf(o.ID) == remote.HostOf(actor.URI) &&
		(streams.Ref(o.AttributedTo) == "" || streams.Ref(o.AttributedTo) == actor.URI) {
		if _, err := s.cfg.Following.Received(ctx, o, actor); err != nil {
			return err
		}
	}
	obj, err := s.cfg.Store.Object(ctx, o.ID)
	if errors.Is(err, repo.ErrNotFound) || (err == nil && (obj.Outgoing || obj.CommentID == 0)) {
		return nil
	}
	if err != nil {
		return err
	}
	if obj.ActorURI != actor.URI {
		return fmt.Errorf("%w: an edit of another's note", ErrRefused)
	}
	c, err := s.cfg.Moderation.Comment(ctx, obj.CommentID)
	if err != nil || c.State == repo.StateDeleted {
		return nil
	}
	body := s.commentBody(o)
	if body == c.Body {
		return nil
	}
	_, _, _, err = s.cfg.Moderation.EditOwn(ctx, moderation.OwnEdit{Comment: c, Body: body})
	if errors.Is(err, repo.ErrModerated) || errors.Is(err, repo.ErrHasReplies) {
		return nil // as for an author's edit: once the owner acted on it or someone answered it, it stays
	}
	return err
}

// remove follows the deletion of a note (its comment deleted as its author would, or by the owner's delete when
// it was answered or moderated), or of an actor (who follows no more).
func (s *Service) remove(ctx context.Context, a streams.Object, actor federation.Actor) error {
	id := streams.Ref(a.Object)
	if id == actor.URI {
		_, err := s.cfg.Store.Unfollow(ctx, actor.URI)
		return err
	}
	if s.cfg.Following != nil {
		if err := s.cfg.Following.Removed(ctx, id, actor); err != nil {
			return err
		}
	}
	obj, err := s.cfg.Store.Object(ctx, id)
	if errors.Is(err, repo.ErrNotFound) || (err == nil && (obj.Outgoing || obj.CommentID == 0)) {
		return nil
	}
	if err != nil {
		return err
	}
	if obj.ActorURI != actor.URI {
		return fmt.Errorf("%w: a deletion of another's note", ErrRefused)
	}
	if _, err := s.cfg.Moderation.DeleteOwn(ctx, obj.CommentID); err != nil && !errors.Is(err, repo.ErrNotFound) {
		if _, err := s.cfg.Moderation.Act(ctx, "activitypub: deleted by its author", "delete", []int64{obj.CommentID}); err != nil {
			return err
		}
	}
	return nil
}

// leadingMention is the mention of the blog Mastodon puts before a reply's text ("[@blog](https://...) ").
var leadingMention = regexp.MustCompile(`^\s*\[@[^\]]{1,100}\]\(https?://[^)\s]+\)[\s,:]*`)

// commentBody is a note's text as the blog's Markdown: the HTML converted (richtext renders it by the
// comments' own rules), the leading mention of the blog taken away, bounded as a comment is.
func (s *Service) commentBody(o streams.Object) string {
	body := ""
	if o.Content != "" && len(o.Content) <= MaxActivity {
		if md, _, err := source.ToMarkdown(o.Content, source.HTML); err == nil {
			body = md
		}
	}
	for m := leadingMention.FindString(body); m != "" && strings.Contains(m, s.base.Host); m = leadingMention.FindString(body) {
		body = body[len(m):]
	}
	body = strings.TrimSpace(body)
	if body == "" {
		body = "(no text)"
	}
	if r := []rune(body); len(r) > repo.MaxBody {
		body = strings.TrimSpace(string(r[:repo.MaxBody-1])) + "…"
	}
	return body
}

// picture returns the blog's copy of an author's icon, fetched now or earlier; "" when there is none or it
// cannot be had (the comment then shows the blog's drawn picture: an icon is never worth a lost reply).
func (s *Service) picture(ctx context.Context, remote string) string {
	if remote == "" || s.cfg.Pictures == nil {
		return ""
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	local, err := s.cfg.Pictures.Fetch(pctx, remote)
	if err != nil {
		s.cfg.Log.Info("activitypub: the author's picture is not shown", "picture", remote, "err", err)
		return ""
	}
	return local
}

// sameHost reports whether host (as a request names it, port optional) is the blog's own address.
func sameHost(host string, base *url.URL) bool {
	withPort := func(h, scheme string) string {
		h = strings.ToLower(h)
		if _, _, err := net.SplitHostPort(h); err == nil {
			return h
		}
		if scheme == "https" {
			return h + ":443"
		}
		return h + ":80"
	}
	return host != "" && withPort(host, base.Scheme) == withPort(base.Host, base.Scheme)
}
