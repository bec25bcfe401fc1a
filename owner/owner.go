// Package owner lets the blog's owner sign in: a one-time setup link claims the blog, then a password (Argon2id)
// or a passkey (WebAuthn) opens a session. Sessions are random ids stored hashed in the database, so they work
// across instances and survive restarts. Everything under /admin goes through Require.
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
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/clientip"
	"blog/csrf"
	"blog/repo"
	"blog/repo/accounts"
	"blog/views"
)

// Session lifetimes: a session ends after IdleTimeout without use, and in any case MaxAge after sign-in.
const (
	IdleTimeout = 24 * time.Hour
	MaxAge      = 14 * 24 * time.Hour
)

// SessionCookie names the cookie that carries the owner's session id.
const SessionCookie = "owner_session"

// HintCookie names a cookie that only says "the owner signed in in this browser": it grants nothing and holds
// no secret, so the page script may read it (not HttpOnly) to know that asking /admin/pending is worth a
// request. The public pages stay the same bytes for everyone; a stale hint is cleared by the 401 its question
// gets.
const HintCookie = "owner"

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
	// Key signs the forms of signed-in pages and the passkey ceremonies (at least 16 bytes).
	Key []byte
	// SecureCookies marks cookies Secure even on plain HTTP (behind a TLS proxy).
	SecureCookies bool
	// BaseURL, when set, names the blog's public origin: passkeys are bound to its host.
	BaseURL   string
	SiteTitle string
	Clients   clientip.Resolver
	Log       *slog.Logger
	// Chrome is what the pages' layout shows.
	Chrome views.Chrome
	// CSRF guards the sign-in and setup forms (used before a session exists).
	CSRF *csrf.Guard
	// FailureDelay is how long a failed sign-in waits before its answer (one second when zero).
	FailureDelay time.Duration
}

// Owner is the owner's sign-in: its middleware and its pages.
type Owner struct {
	cfg      Config
	gate     *gate
	passkeys *passkeys
}

// New returns the owner's sign-in.
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
	return &Owner{cfg: cfg, gate: newGate(time.Now),
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

// session is the signed-in owner's session, kept in the request's locals by Require.
type session struct {
	accounts.Session
	token string
}

const localsKey = "owner_session"

// signIn opens a session for the browser and records it.
func (o *Owner) signIn(c *fiber.Ctx, method string) error {
	tok := newToken()
	now := time.Now().UTC()
	s := accounts.Session{TokenHash: hashToken(tok), Method: method, CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(MaxAge)}
	if err := o.cfg.Store.CreateSession(c.UserContext(), s); err != nil {
		return err
	}
	o.setCookie(c, tok, now.Add(MaxAge))
	o.setHint(c, now.Add(MaxAge))
	o.markDevice(c, now)
	o.cfg.Log.Info("owner signed in", "method", method, "client", o.cfg.Clients.Of(c).String())
	return o.cfg.Audit.Record(c.UserContext(), repo.AuditEntry{Actor: repo.ActorOwner, Action: "sign-in", Detail: method})
}

func (o *Owner) setCookie(c *fiber.Ctx, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: value, Path: "/", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Secure: o.cfg.SecureCookies || c.Protocol() == "https", Expires: expires})
}

// setHint sets the hint cookie (see HintCookie) until expires.
func (o *Owner) setHint(c *fiber.Ctx, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: HintCookie, Value: "1", Path: "/", SameSite: fiber.CookieSameSiteStrictMode,
		Secure: o.cfg.SecureCookies || c.Protocol() == "https", Expires: expires})
}

// current returns the request's valid session, or false. An idle or expired session is deleted.
func (o *Owner) current(c *fiber.Ctx) (session, bool, error) {
	tok := c.Cookies(SessionCookie)
	if len(tok) != 43 {
		return session{}, false, nil
	}
	s, err := o.cfg.Store.FindSession(c.UserContext(), hashToken(tok))
	if errors.Is(err, repo.ErrNotFound) {
		return session{}, false, nil
	}
	if err != nil {
		return session{}, false, err
	}
	now := time.Now().UTC()
	if now.After(s.ExpiresAt) || now.Sub(s.SeenAt) > IdleTimeout {
		return session{}, false, o.cfg.Store.DeleteSession(c.UserContext(), s.TokenHash)
	}
	if now.Sub(s.SeenAt) > touchEvery {
		if err := o.cfg.Store.TouchSession(c.UserContext(), s.ID, now); err != nil {
			return session{}, false, err
		}
	}
	return session{Session: s, token: strings.Clone(tok)}, true, nil
}

// SignedIn reports whether the request comes from the owner's browser (for pages outside /admin, such as a
// draft preview).
func (o *Owner) SignedIn(c *fiber.Ctx) bool {
	_, ok, err := o.current(c)
	return ok && err == nil
}

// Require lets a request through only with a valid session: a page request without one is sent to the sign-in
// page, anything else (htmx, a form post, a script) gets 401. Unsafe requests must also be same-origin and carry
// the session's form token.
func (o *Owner) Require(c *fiber.Ctx) error {
	s, ok, err := o.current(c)
	if err != nil {
		return err
	}
	if !ok {
		if c.Cookies(HintCookie) != "" {
			c.ClearCookie(HintCookie) // the hint is stale: the page script stops asking
		}
		if (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) && c.Get("HX-Request") != "true" && !fromScript(c) {
			return c.Redirect(loginURL(c.OriginalURL()), fiber.StatusSeeOther)
		}
		c.Set("HX-Redirect", "/admin/login")
		return fiber.NewError(fiber.StatusUnauthorized, "Please sign in first.")
	}
	if !csrf.Safe(c.Method()) {
		if err := o.cfg.CSRF.CheckOrigin(c); err != nil {
			return err
		}
		if !hmac.Equal([]byte(csrf.Sent(c)), []byte(o.formToken(s))) {
			return fiber.NewError(fiber.StatusForbidden, "missing or wrong form token")
		}
	}
	if c.Cookies(HintCookie) == "" {
		o.setHint(c, s.ExpiresAt) // a session from before the hint existed, or a browser that dropped it
	}
	c.Locals(localsKey, s)
	return c.Next()
}

// fromScript reports a request a page script made for data (JSON, or an event stream) rather than a page to
// show: it is answered 401, not sent to the sign-in page.
func fromScript(c *fiber.Ctx) bool {
	accept := c.Get(fiber.HeaderAccept)
	return strings.Contains(accept, fiber.MIMEApplicationJSON) || strings.Contains(accept, "text/event-stream")
}

// formToken is the token the signed-in pages' forms carry: bound to the session, so it is worthless elsewhere.
func (o *Owner) formToken(s session) string {
	m := hmac.New(sha256.New, o.cfg.Key)
	m.Write([]byte("form:" + s.TokenHash))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// FormToken returns the signed-in request's form token (for the views).
func (o *Owner) FormToken(c *fiber.Ctx) string {
	s, ok := c.Locals(localsKey).(session)
	if !ok {
		return ""
	}
	return o.formToken(s)
}

// safeNext keeps a return address only when it is a path on this site under /admin.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin"
	}
	return next
}

// PurgeSessions deletes expired and idle sessions.
func (o *Owner) PurgeSessions(ctx context.Context) (int, error) {
	now := time.Now().UTC()
	return o.cfg.Store.DeleteSessionsBefore(ctx, now, now.Add(-IdleTimeout))
}
