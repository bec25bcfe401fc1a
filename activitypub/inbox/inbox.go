// Package inbox applies what other servers POST to the blog's inbox: the signature verified against its
// actor's key (read with the safe client and kept), the activity's actor the signer, banned domains dropped, then
// the activity's rules: follows accepted, replies to the blog's posts and comments turned into comments through
// moderation, their edits and deletions followed, likes and boosts counted, and what the actors the blog follows
// send handed to the following. It knows nothing of HTTP servers; activitypub.Service receives through it.
package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"blog/activitypub/remote"
	"blog/activitypub/signature"
	"blog/activitypub/streams"
	"blog/moderation"
	"blog/publish"
	"blog/repo"
	"blog/repo/federation"
)

// Moderator is the one door every comment passes (moderation.Service): a reply from the fediverse is screened
// and stored like a comment, edited like one when its author edits it, deleted like one when its author does.
type Moderator interface {
	Post(ctx context.Context, n repo.NewComment, c moderation.Candidate) (repo.Comment, repo.Stamp, moderation.Decision, error)
	EditOwn(ctx context.Context, e moderation.OwnEdit) (repo.Comment, repo.Stamp, moderation.Decision, error)
	DeleteOwn(ctx context.Context, id int64) (repo.Moved, error)
	Act(ctx context.Context, actor, action string, ids []int64) ([]repo.Moved, error)
	Comment(ctx context.Context, id int64) (repo.Comment, error)
}

// Bans tells whether a server's domain is banned (the console's ban of an email domain: moderation's store).
type Bans interface {
	Match(ctx context.Context, email, ipHash, netHash string) (repo.Ban, bool, error)
}

// Content is the blog's current content (publish.Store): the posts that replies, likes and boosts name.
type Content interface {
	Current() *publish.Snapshot
}

// Pictures keeps the blog's own copy of a picture another server names (pictures.Service): an author's icon is
// fetched once, checked and served by the blog, so a page that shows it loads nothing from another host.
type Pictures interface {
	Fetch(ctx context.Context, remoteURL string) (string, error)
}

// Following takes what the actors the blog follows send (following.Service): the answers to its Follows, and
// their posts, edits and deletions.
type Following interface {
	Answered(ctx context.Context, a streams.Object, actor federation.Actor, accepted bool) error
	Received(ctx context.Context, o streams.Object, actor federation.Actor) (bool, error)
	Removed(ctx context.Context, objectID string, actor federation.Actor) error
}

var _ Moderator = (*moderation.Service)(nil)

// Config is what the inbox is built from (activitypub.New builds it from the service's own).
type Config struct {
	Store      *federation.Store
	Moderation Moderator
	// Bans, when set, drops the activities of banned domains.
	Bans    Bans
	Content Content
	// Pictures, when set, copies the authors' icons; without it their comments show the blog's drawn picture.
	Pictures Pictures
	// Following, when set, keeps what the actors the blog follows send; without it their posts are ignored.
	Following Following
	// Remote reads the signers' actors and keys, signed as the blog.
	Remote *remote.Reader
	// Base is the blog's public address; ActorID is its actor's id, which a Follow of the blog names.
	Base    *url.URL
	ActorID string
	// Wake has the delivery queue looked at now (an Accept was queued).
	Wake func()
	Log  *slog.Logger
}

// Inbox applies the activities the blog receives.
type Inbox struct {
	cfg Config
}

// New returns the inbox.
func New(cfg Config) *Inbox { return &Inbox{cfg: cfg} }

// ErrRefused refuses an activity the blog will not take (its actor's domain banned, an actor that is not the
// signer's).
var ErrRefused = errors.New("activitypub: refused")

// BadActivity refuses an activity that cannot be read; its message says why.
type BadActivity struct{ Msg string }

func (e BadActivity) Error() string { return e.Msg }

// MaxActivity bounds an activity's body, in bytes: the bound of every request to the blog (a reply is a few KB;
// Mastodon's own bound is 1 MB).
const MaxActivity = 64 << 10

// Receive takes a signed POST to the inbox: the signature verified against its actor's key (read and kept, never
// from a non-public address unless the client allows it), the activity's actor the signer, then the activity
// applied. Unknown types, and replies to what is not here, are accepted and ignored, as every server does.
func (in *Inbox) Receive(ctx context.Context, req *http.Request, body []byte) error {
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
	if host := signature.Host(req); !sameHost(host, in.cfg.Base) {
		return fmt.Errorf("%w: signed for %q, not for this blog (%s)", signature.ErrSignature, host, in.cfg.Base.Host)
	}
	actor, err := in.verified(ctx, req, body, keyID)
	if err != nil {
		return err
	}
	if a.ActorID() != actor.URI {
		return fmt.Errorf("%w: the activity's actor %q is not the signer %s", ErrRefused, a.ActorID(), actor.URI)
	}
	if a.ID != "" && remote.HostOf(a.ID) != remote.HostOf(actor.URI) {
		return fmt.Errorf("%w: the activity's id %q is not on its actor's server", ErrRefused, a.ID)
	}
	if banned, err := in.banned(ctx, actor.URI); err != nil {
		return err
	} else if banned {
		in.cfg.Log.Info("activitypub: dropped an activity from a banned domain", "actor", actor.URI, "type", a.TypeName())
		return nil
	}
	return in.apply(ctx, a, actor)
}

// verified returns the signer of req after checking the signature; a key that does not verify is read again
// once (its owner may have replaced it).
func (in *Inbox) verified(ctx context.Context, req *http.Request, body []byte, keyID string) (federation.Actor, error) {
	actor, err := in.cfg.Remote.KeyOwner(ctx, keyID, false)
	if errors.Is(err, remote.ErrBusy) {
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
		if again, ferr := in.cfg.Remote.KeyOwner(ctx, keyID, true); ferr == nil && again.PublicKey != actor.PublicKey {
			actor, err = again, verify(again)
		}
	}
	return actor, err
}

// banned reports a server whose domain the owner banned (the console's ban of an email domain).
func (in *Inbox) banned(ctx context.Context, actorURI string) (bool, error) {
	if in.cfg.Bans == nil {
		return false, nil
	}
	_, hit, err := in.cfg.Bans.Match(ctx, "fediverse@"+remote.HostOf(actorURI), "", "")
	return hit, err
}

// apply does what an activity from actor asks.
func (in *Inbox) apply(ctx context.Context, a streams.Object, actor federation.Actor) error {
	switch a.TypeName() {
	case "Follow":
		return in.follow(ctx, a, actor)
	case "Undo":
		return in.undo(ctx, a, actor)
	case "Create":
		return in.create(ctx, a, actor)
	case "Update":
		return in.update(ctx, a, actor)
	case "Delete":
		return in.remove(ctx, a, actor)
	case "Like", "EmojiReact":
		return in.react(ctx, a, actor, federation.KindLike)
	case "Announce":
		return in.react(ctx, a, actor, federation.KindBoost)
	case "Accept", "Reject":
		if in.cfg.Following != nil {
			return in.cfg.Following.Answered(ctx, a, actor, a.TypeName() == "Accept")
		}
	}
	return nil // Add, Block, Move, Flag...: nothing the blog does
}

func (in *Inbox) follow(ctx context.Context, a streams.Object, actor federation.Actor) error {
	if streams.Ref(a.Object) != in.cfg.ActorID {
		return nil
	}
	if a.ID == "" || len(a.ID) > 2048 {
		return BadActivity{"A Follow needs an id."}
	}
	err := in.cfg.Store.Follow(ctx, federation.Follower{ActorURI: actor.URI, Inbox: actor.Inbox, SharedInbox: actor.SharedInbox,
		Domain: remote.HostOf(actor.URI), Handle: actor.Handle, FollowID: a.ID})
	if err != nil {
		return err
	}
	accept := streams.Doc{"@context": streams.Context[0], "id": in.cfg.ActorID + "#accepts/" + streams.ShortHash(a.ID), "type": "Accept",
		"actor": in.cfg.ActorID, "object": streams.Doc{"id": a.ID, "type": "Follow", "actor": actor.URI, "object": in.cfg.ActorID}}
	if err := in.cfg.Store.Queue(ctx, []federation.Target{{Inbox: actor.Inbox, Domain: remote.HostOf(actor.Inbox)}}, accept.Bytes()); err != nil {
		return err
	}
	in.cfg.Wake()
	in.cfg.Log.Info("activitypub: new follower", "actor", actor.URI)
	return nil
}

func (in *Inbox) undo(ctx context.Context, a streams.Object, actor federation.Actor) error {
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
		_, err := in.cfg.Store.Unfollow(ctx, actor.URI)
		return err
	case "Like", "Announce", "EmojiReact", "":
		return in.cfg.Store.Unreact(ctx, innerID, actor.URI)
	}
	return nil
}

func (in *Inbox) react(ctx context.Context, a streams.Object, actor federation.Actor, kind string) error {
	postID, ok := in.postOf(streams.Ref(a.Object))
	if !ok || a.ID == "" || len(a.ID) > 2048 {
		return nil
	}
	return in.cfg.Store.React(ctx, federation.Reaction{ActivityURI: a.ID, ActorURI: actor.URI, Name: actor.Name, PostID: postID, Kind: kind})
}

// postOf returns the published post a URL of the blog names, with its id.
func (in *Inbox) postOf(raw string) (int64, bool) {
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Host, in.cfg.Base.Host) {
		return 0, false
	}
	slug, ok := strings.CutPrefix(u.Path, "/posts/")
	if !ok {
		return 0, false
	}
	snap := in.cfg.Content.Current()
	p, found := snap.Lib.PostBySlug(strings.TrimSuffix(slug, "/"))
	if !found || p.Draft {
		return 0, false
	}
	return snap.PostID(p.Slug)
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
