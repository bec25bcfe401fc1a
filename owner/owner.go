// Package owner is who the blog's owner is and how they prove it: a one-time setup link claims the blog, then a
// password (Argon2id) or a passkey (WebAuthn) opens a session. Sessions are random ids stored hashed in the
// database, so they work across instances and survive restarts. The limits on sign-in attempts are here too.
// It knows nothing of HTTP: handlers/signin carries its tokens in cookies, serves the sign-in pages and guards
// everything under /admin.
package owner

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"blog/repo"
	"blog/repo/accounts"
)

// Session lifetimes: a session ends after IdleTimeout without use, and in any case MaxAge after sign-in.
const (
	IdleTimeout = 24 * time.Hour
	MaxAge      = 14 * 24 * time.Hour
)

// touchEvery is how stale a session's last-seen time may get before a request writes it again.
const touchEvery = time.Minute

// Store is what sign-in needs from the database.
type Store interface {
	HasCredentials(ctx context.Context) (bool, error)
	Credentials(ctx context.Context, kind string) ([]accounts.Credential, error)
	Claim(ctx context.Context, tokenHash string, c accounts.Credential) (accounts.Credential, error)
	AddCredential(ctx context.Context, c accounts.Credential, act repo.Action) (accounts.Credential, error)
	ReplacePassword(ctx context.Context, hash string, keepSession int64, act repo.Action) error
	RemoveCredential(ctx context.Context, id, keepSession int64, act repo.Action) error
	UsedCredential(ctx context.Context, id int64, secret string) error
	UsedPasskey(ctx context.Context, id int64, was, now string) error
	UseChallenge(ctx context.Context, hash string, expires time.Time) error
	NewSetupToken(ctx context.Context, tokenHash string) error
	ValidSetupToken(ctx context.Context, tokenHash string) (bool, error)
	CreateSession(ctx context.Context, s accounts.Session) error
	FindSession(ctx context.Context, tokenHash string) (accounts.Session, error)
	TouchSession(ctx context.Context, id int64, at time.Time) error
	DeleteSession(ctx context.Context, tokenHash string) error
	DeleteSessionsBefore(ctx context.Context, now, idleSince time.Time) (int, error)
}

// Auditor records the owner's actions.
type Auditor interface {
	Record(ctx context.Context, e repo.AuditEntry) error
}

var (
	_ Store   = (*accounts.Owner)(nil)
	_ Auditor = (*repo.Audit)(nil)
)

// Config is what the owner's sign-in is built from.
type Config struct {
	Store Store
	Audit Auditor
	// Key signs the forms of signed-in pages, the known browsers and the passkey ceremonies (at least 16 bytes).
	Key []byte
	// BaseURL, when set, names the blog's public origin: passkeys are bound to its host.
	BaseURL   string
	SiteTitle string
	Log       *slog.Logger
	// FailureDelay is how long a failed sign-in waits before its answer (one second when zero).
	FailureDelay time.Duration
	// Now is the clock the sign-in limits read (time.Now when nil), so that a test can play minutes of attempts
	// at once.
	Now func() time.Time
}

// Owner is the blog's owner: their credentials, their sessions, and the limits on attempts to sign in as them.
type Owner struct {
	cfg      Config
	gate     *gate
	passkeys *Passkeys
}

// New returns the blog's owner.
func New(cfg Config) (*Owner, error) {
	if len(cfg.Key) < 16 {
		return nil, errors.New("owner: a key of at least 16 bytes is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.FailureDelay == 0 {
		cfg.FailureDelay = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Owner{cfg: cfg, gate: newGate(cfg.Now),
		passkeys: newPasskeys(cfg.SiteTitle, cfg.BaseURL, cfg.Key, cfg.Store.UseChallenge)}, nil
}

// hashToken is how tokens (session ids, setup tokens, passkey challenges) are stored: SHA-256, hex. They are 32
// random bytes, so a plain hash is enough.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SetupLink creates a new one-time setup link when the blog has no owner credential, and returns its path
// (/admin/setup?token=...). With an owner it returns "" and no error.
func (o *Owner) SetupLink(ctx context.Context) (string, error) {
	return NewSetupLink(ctx, o.cfg.Store)
}

// NewSetupLink is SetupLink for callers without an Owner (the command line).
func NewSetupLink(ctx context.Context, store Store) (string, error) {
	tok := newToken()
	err := store.NewSetupToken(ctx, hashToken(tok))
	if errors.Is(err, accounts.ErrClaimed) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return "/admin/setup?token=" + tok, nil
}

// OpenSession opens a session signed in by method, and returns the token its browser is to hold and the
// session (its CreatedAt is when it opened, its ExpiresAt when it ends at the latest).
func (o *Owner) OpenSession(ctx context.Context, method string) (string, accounts.Session, error) {
	tok := newToken()
	now := time.Now().UTC()
	s := accounts.Session{TokenHash: hashToken(tok), Method: method, CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(MaxAge)}
	if err := o.cfg.Store.CreateSession(ctx, s); err != nil {
		return "", accounts.Session{}, err
	}
	return tok, s, nil
}

// RecordSignIn logs a sign-in by method from client, and records it in the audit trail.
func (o *Owner) RecordSignIn(ctx context.Context, method string, client netip.Addr) error {
	o.cfg.Log.Info("owner signed in", "method", method, "client", client.String())
	return o.cfg.Audit.Record(ctx, repo.AuditEntry{Actor: repo.ActorOwner, Action: "sign-in", Detail: method})
}

// Session returns the valid session a browser's token opens, or false. An idle or expired session is deleted.
func (o *Owner) Session(ctx context.Context, tok string) (accounts.Session, bool, error) {
	if len(tok) != 43 {
		return accounts.Session{}, false, nil
	}
	s, err := o.cfg.Store.FindSession(ctx, hashToken(tok))
	if errors.Is(err, repo.ErrNotFound) {
		return accounts.Session{}, false, nil
	}
	if err != nil {
		return accounts.Session{}, false, err
	}
	now := time.Now().UTC()
	if now.After(s.ExpiresAt) || now.Sub(s.SeenAt) > IdleTimeout {
		return accounts.Session{}, false, o.cfg.Store.DeleteSession(ctx, s.TokenHash)
	}
	if now.Sub(s.SeenAt) > touchEvery {
		if err := o.cfg.Store.TouchSession(ctx, s.ID, now); err != nil {
			return accounts.Session{}, false, err
		}
	}
	return s, true, nil
}

// EndSession ends a session (signing out).
func (o *Owner) EndSession(ctx context.Context, s accounts.Session) error {
	return o.cfg.Store.DeleteSession(ctx, s.TokenHash)
}

// RecordSignOut records a sign-out in the audit trail.
func (o *Owner) RecordSignOut(ctx context.Context) error {
	return o.cfg.Audit.Record(ctx, repo.AuditEntry{Actor: repo.ActorOwner, Action: "sign-out"})
}

// FormToken is the token the signed-in pages' forms carry: bound to the session, so it is worthless elsewhere.
func (o *Owner) FormToken(s accounts.Session) string {
	m := hmac.New(sha256.New, o.cfg.Key)
	m.Write([]byte("form:" + s.TokenHash))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// PurgeSessions deletes expired and idle sessions.
func (o *Owner) PurgeSessions(ctx context.Context) (int, error) {
	now := time.Now().UTC()
	return o.cfg.Store.DeleteSessionsBefore(ctx, now, now.Add(-IdleTimeout))
}
