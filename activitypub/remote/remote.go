// Package remote reads what other servers publish, with the blog's safe client and signed as the blog (for
// servers that answer only signed requests: Mastodon's secure mode, GoToSocial): actors, checked (their id is the
// address asked, their inboxes and key their own) and kept a day; the owners of the keys that sign requests to
// the inbox; and any object by its address. At most MaxReads actors are read at once.
package remote

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"blog/activitypub/signature"
	"blog/activitypub/streams"
	"blog/fetch"
	"blog/repo"
	"blog/repo/federation"
)

// MaxReads bounds how many remote actors are read at once.
const MaxReads = 8

// ErrBusy refuses an activity while MaxReads actors are being read: its sender should try again shortly.
var ErrBusy = errors.New("activitypub: busy reading other actors")

// Reader reads other servers' actors and objects.
type Reader struct {
	store *federation.Store
	fetch *fetch.Client
	key   *rsa.PrivateKey
	keyID string
	reads chan struct{} // the actors being read, at most MaxReads
}

// New returns a reader that keeps actors in store, reads through client and signs with key (named keyID).
func New(store *federation.Store, client *fetch.Client, key *rsa.PrivateKey, keyID string) *Reader {
	return &Reader{store: store, fetch: client, key: key, keyID: keyID, reads: make(chan struct{}, MaxReads)}
}

// ActorTTL is how long a remote actor read is used before it is read again (its name, picture, key).
const ActorTTL = 24 * time.Hour

// MaxName bounds an actor's name as the blog keeps it, as a commenter's.
const MaxName = repo.MaxUsername

// Actor returns the actor with this id: kept, or read with the safe client when it was never read, is
// older than ActorTTL or fresh is set (a key that did not verify may have been replaced).
func (r *Reader) Actor(ctx context.Context, id string, fresh bool) (federation.Actor, error) {
	a, err := r.store.Actor(ctx, id)
	if err == nil && !fresh && time.Since(a.FetchedAt) < ActorTTL {
		return a, nil
	}
	if err != nil && !errors.Is(err, repo.ErrNotFound) {
		return a, err
	}
	read, ferr := r.readActor(ctx, id)
	if ferr != nil {
		if err == nil && !fresh { // kept, though old: better than nothing while its server is away
			return a, nil
		}
		return federation.Actor{}, ferr
	}
	return r.store.SaveActor(ctx, read)
}

// Object reads the ActivityStreams document at address (an actor, a post), signed as the blog, with the safe
// client.
func (r *Reader) Object(ctx context.Context, address string) (streams.Object, error) {
	if _, err := fetch.Parse(address); err != nil {
		return streams.Object{}, err
	}
	fctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	body, err := r.get(fctx, address)
	if err != nil {
		return streams.Object{}, err
	}
	var o streams.Object
	if err := json.Unmarshal(body, &o); err != nil {
		return streams.Object{}, fmt.Errorf("reading %s: %w", address, err)
	}
	return o, nil
}

// get fetches an ActivityStreams document, signed (for servers that answer only signed requests: Mastodon's
// secure mode, GoToSocial).
func (r *Reader) get(ctx context.Context, address string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, address, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", streams.Accept)
	if err := signature.Sign(req, nil, r.key, r.keyID, time.Now()); err != nil {
		return nil, err
	}
	resp, err := r.fetch.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", address, err)
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("reading %s: status %d", address, resp.Status)
	}
	return resp.Body, nil
}

// readActor fetches and reads an actor document. Its id must be the address asked (no server speaks for
// another's actors), its key must be its own, and everything kept is bounded.
func (r *Reader) readActor(ctx context.Context, id string) (federation.Actor, error) {
	if _, err := fetch.Parse(id); err != nil {
		return federation.Actor{}, err
	}
	// At most MaxReads actors are read at once, whatever the inbox is sent: a flood naming many servers' keys
	// waits its turn, briefly, then is told to come back.
	select {
	case r.reads <- struct{}{}:
		defer func() { <-r.reads }()
	case <-time.After(5 * time.Second):
		return federation.Actor{}, ErrBusy
	case <-ctx.Done():
		return federation.Actor{}, ctx.Err()
	}
	fctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	body, err := r.get(fctx, id)
	if err != nil {
		return federation.Actor{}, err
	}
	var o streams.Object
	if err := json.Unmarshal(body, &o); err != nil {
		return federation.Actor{}, fmt.Errorf("reading actor %s: %w", id, err)
	}
	return actorFrom(o, id)
}

// actorFrom reads an actor document fetched from id.
func actorFrom(o streams.Object, id string) (federation.Actor, error) {
	if o.ID != id {
		return federation.Actor{}, fmt.Errorf("actor %s: the document is of %q", id, o.ID)
	}
	// The inboxes must be on the actor's own server: an actor cannot point the blog's deliveries at a third
	// party's address.
	if o.Inbox == "" || HostOf(o.Inbox) != HostOf(id) || len(o.Inbox) > 2048 {
		return federation.Actor{}, fmt.Errorf("actor %s: no inbox on its server", id)
	}
	var key struct {
		ID    string `json:"id"`
		Owner string `json:"owner"`
		PEM   string `json:"publicKeyPem"`
	}
	if err := json.Unmarshal(o.PublicKey, &key); err != nil || key.PEM == "" || len(key.PEM) > 16<<10 {
		return federation.Actor{}, fmt.Errorf("actor %s: no public key", id)
	}
	if key.Owner != id || HostOf(key.ID) != HostOf(id) {
		return federation.Actor{}, fmt.Errorf("actor %s: the key %s is another's", id, key.ID)
	}
	if _, err := signature.ParsePublicKey(key.PEM); err != nil {
		return federation.Actor{}, err
	}
	var ep struct {
		SharedInbox string `json:"sharedInbox"`
	}
	_ = json.Unmarshal(o.Endpoints, &ep)
	if len(ep.SharedInbox) > 2048 || HostOf(ep.SharedInbox) != HostOf(id) {
		ep.SharedInbox = ""
	}
	user := Clean(o.PreferredUsername, 60)
	name := Clean(o.Name, MaxName)
	if name == "" {
		name = user
	}
	if name == "" {
		name = HostOf(id)
	}
	a := federation.Actor{URI: id, Inbox: o.Inbox, SharedInbox: ep.SharedInbox, KeyID: key.ID, PublicKey: key.PEM,
		Name: name, FetchedAt: time.Now().UTC()}
	if user != "" {
		a.Handle = "@" + user + "@" + Authority(id)
	}
	if u := streams.URLOf(o.URL); u != "" && HostOf(u) == HostOf(id) && len(u) <= 2048 {
		a.ProfileURL = u
	} else {
		a.ProfileURL = id
	}
	if icon := streams.ImageURL(o.Icon); icon != "" && len(icon) <= 2048 {
		if _, err := fetch.Parse(icon); err == nil {
			a.IconURL = icon
		}
	}
	return a, nil
}

// Clean drops control and format characters (direction overrides too), folds white space and bounds s.
func Clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = strings.TrimSpace(string(r[:n-1])) + "…"
	}
	return s
}

// KeyOwner returns the actor that holds the key keyID names (its id is keyID without its fragment).
func (r *Reader) KeyOwner(ctx context.Context, keyID string, fresh bool) (federation.Actor, error) {
	if !fresh {
		if a, err := r.store.ActorByKey(ctx, keyID); err == nil && time.Since(a.FetchedAt) < ActorTTL {
			return a, nil
		}
	}
	id, _, found := strings.Cut(keyID, "#")
	if !found { // GoToSocial names its keys https://host/users/name/main-key
		id = strings.TrimSuffix(id, "/main-key")
	}
	a, err := r.Actor(ctx, id, fresh)
	if err != nil {
		return a, err
	}
	if a.KeyID != keyID {
		return federation.Actor{}, fmt.Errorf("%w: key %s is not the key of %s", signature.ErrSignature, keyID, id)
	}
	return a, nil
}

// HostOf is an address's host name, in lower case (empty when it is no URL).
func HostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// Authority is a URL's host with its port, if any, as a handle names a server.
func Authority(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
