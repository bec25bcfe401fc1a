// Package activitypub makes the blog one ActivityPub actor (@blog@host): its documents (WebFinger, the actor,
// NodeInfo, each post as an Article), its inbox (whose rules are activitypub/inbox's: signatures verified,
// actors read with the safe client and kept, follows accepted, replies turned into comments through moderation,
// their edits and deletions followed, likes and boosts counted), and what it sends through the durable queue:
// each post's Create, Update and Delete to the followers' servers, and the owner's replies to fediverse comments
// back to their authors. It knows nothing of HTTP servers: handlers/activitypub calls it.
package activitypub

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"blog/activitypub/delivery"
	"blog/activitypub/inbox"
	"blog/activitypub/remote"
	"blog/activitypub/signature"
	"blog/fetch"
	"blog/moderation"
	"blog/publish"
	"blog/repo"
	"blog/repo/federation"
)

// Moderator is the one door every comment passes (moderation.Service): what the inbox needs of it, and the
// bans of the console's blocks.
type Moderator interface {
	inbox.Moderator
	Ban(ctx context.Context, actor string, req moderation.BanRequest) (repo.Ban, []repo.Moved, error)
}

// Content is the blog's current content (publish.Store).
type Content interface {
	Current() *publish.Snapshot
}

var _ Moderator = (*moderation.Service)(nil)

// Config is what the service is built from.
type Config struct {
	Store      *federation.Store
	Moderation Moderator
	Bans       inbox.Bans
	Content    Content
	// Pictures, when set, copies the authors' icons; without it their comments show the blog's drawn picture.
	Pictures inbox.Pictures
	// Fetch reads actors and delivers activities: non-public addresses refused unless it was built to allow them.
	Fetch *fetch.Client
	// BaseURL is the blog's public address; Username the actor's name (@Username@host).
	BaseURL, Username string
	// Title and Summary describe the actor; Icon is the address of its picture (on the blog).
	Title, Summary, Icon string
	// MovedTo, set on the old address, is the actor the account moved to: the actor says so and every follower
	// is told once (Move). AlsoKnownAs, set on the new address, is the old actor, which servers check.
	MovedTo, AlsoKnownAs string
	Log                  *slog.Logger
	// Every is how often the delivery queue is looked at when nothing pokes it (work queued by another instance).
	Every time.Duration
	// Following, when set, keeps what the actors the blog follows send; without it their posts are ignored.
	Following inbox.Following
}

// Service is the blog as an actor.
type Service struct {
	cfg    Config
	base   *url.URL
	key    *rsa.PrivateKey
	pubPEM string
	poke   chan struct{}
	// delivery sends the queue.
	delivery *delivery.Worker
	// remote reads other servers' actors and objects.
	remote *remote.Reader
	// inbox applies the activities received.
	inbox *inbox.Inbox
	// joined is the day the blog's key was made: reply posts dated earlier are not sent to their authors.
	joined time.Time
	mu     sync.Mutex
	// loaded is the newest content not yet announced (Loaded), taken by Run.
	loadMu sync.Mutex
	loaded *publish.Snapshot
}

// Loaded hands the content just loaded to Run, which announces it (publish.Store.OnLoad wants a quick return);
// a newer load replaces one not yet announced.
func (s *Service) Loaded(snap *publish.Snapshot) {
	s.loadMu.Lock()
	s.loaded = snap
	s.loadMu.Unlock()
	s.wake()
}

func (s *Service) takeLoaded() *publish.Snapshot {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	snap := s.loaded
	s.loaded = nil
	return snap
}

// New returns the service, with the blog's key pair (made and stored the first time, so every instance on one
// database signs with the same key).
func New(ctx context.Context, cfg Config) (*Service, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("activitypub: the blog's address %q is not an absolute URL", cfg.BaseURL)
	}
	if cfg.Username == "" {
		cfg.Username = "blog"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Every <= 0 {
		cfg.Every = 30 * time.Second
	}
	pemKey, err := cfg.Store.PrivateKey(ctx, signature.GenerateKey)
	if err != nil {
		return nil, err
	}
	key, err := signature.ParsePrivateKey(pemKey)
	if err != nil {
		return nil, err
	}
	pub, err := signature.PublicKeyPEM(key)
	if err != nil {
		return nil, err
	}
	joined, err := cfg.Store.KeyCreated(ctx)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, base: base, key: key, pubPEM: pub, poke: make(chan struct{}, 1), joined: joined.UTC().Truncate(24 * time.Hour)}
	s.remote = remote.New(cfg.Store, cfg.Fetch, key, s.KeyID())
	s.delivery = delivery.New(cfg.Store, cfg.Fetch, key, s.KeyID(), cfg.Log)
	s.inbox = inbox.New(inbox.Config{Store: cfg.Store, Moderation: cfg.Moderation, Bans: cfg.Bans, Content: cfg.Content,
		Pictures: cfg.Pictures, Following: cfg.Following, Remote: s.remote, Base: base, ActorID: s.ActorID(), Wake: s.wake,
		Log: cfg.Log})
	return s, nil
}

// The blog's own addresses.
func (s *Service) url(path string) string { return s.base.String() + path }

// ActorID is the actor's id.
func (s *Service) ActorID() string { return s.url("/ap/actor") }

// KeyID names the actor's key.
func (s *Service) KeyID() string { return s.ActorID() + "#main-key" }

// Host is the blog's host, as in @user@host.
func (s *Service) Host() string { return s.base.Host }

// Handle is @user@host.
func (s *Service) Handle() string { return "@" + s.cfg.Username + "@" + s.base.Host }

// PostURL is a post's address, which is also its Article's id.
func (s *Service) PostURL(slug string) string { return s.url("/posts/" + slug) }

// CommentID is the id of the blog's own comment as a Note.
func (s *Service) CommentID(id int64) string { return fmt.Sprintf("%s/ap/comments/%d", s.base, id) }

// Wake has the delivery queue looked at now (something was queued).
func (s *Service) Wake() { s.wake() }

func (s *Service) wake() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// MaxActivity bounds an activity's body, in bytes (inbox.MaxActivity).
const MaxActivity = inbox.MaxActivity

// ErrRefused refuses an activity the blog will not take (inbox.ErrRefused).
var ErrRefused = inbox.ErrRefused

// BadActivity refuses an activity that cannot be read (inbox.BadActivity).
type BadActivity = inbox.BadActivity

// Receive takes a signed POST to the inbox and applies its activity (inbox.Inbox.Receive).
func (s *Service) Receive(ctx context.Context, req *http.Request, body []byte) error {
	return s.inbox.Receive(ctx, req, body)
}
