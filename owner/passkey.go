package owner

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/gofiber/fiber/v2"

	"blog/repo"
	"blog/repo/accounts"
)

// ceremonyCookie carries a passkey ceremony's state (the challenge) between its two requests, signed.
const ceremonyCookie = "owner_ceremony"

// How long a passkey ceremony's challenge can be answered: the browser's prompt and the owner's touch. Each
// challenge is accepted once besides, so the time only bounds how long an unanswered one stays good. Signing in
// is a touch or a PIN; registering may mean creating the passkey on a phone, and 5 minutes is the lower end of
// what WebAuthn recommends when the user is verified.
const (
	loginTimeout        = 2 * time.Minute
	registrationTimeout = 5 * time.Minute
)

// passkeys runs WebAuthn ceremonies. The relying party is the blog's host: from BASE_URL when set, otherwise
// the host the request came to (a browser only lets a page use passkeys of its own host, so a forged Host
// header gains nothing).
type passkeys struct {
	name    string
	baseURL string
	key     []byte
	// use records that a challenge has been answered; a second answer to it is repo.ErrConflict.
	use func(ctx context.Context, hash string, expires time.Time) error

	mu  sync.Mutex
	rps map[string]*webauthn.WebAuthn // by origin
}

func newPasskeys(name, baseURL string, key []byte, use func(context.Context, string, time.Time) error) *passkeys {
	return &passkeys{name: name, baseURL: baseURL, key: key, use: use, rps: map[string]*webauthn.WebAuthn{}}
}

// relyingParty returns the WebAuthn configuration for the request's origin.
func (p *passkeys) relyingParty(c *fiber.Ctx) (*webauthn.WebAuthn, error) {
	origin := p.baseURL
	if origin == "" {
		origin = c.Protocol() + "://" + string(c.Request().Host())
	}
	u, err := url.Parse(origin)
	if err != nil || u.Hostname() == "" {
		return nil, fiber.NewError(fiber.StatusBadRequest, "The blog cannot tell its own address, which passkeys are bound to. Set BASE_URL.")
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		// A browser refuses a passkey for a numeric address before it asks the owner: say so in words first.
		return nil, fiber.NewError(fiber.StatusBadRequest, numericHost(ip, u))
	}
	origin = u.Scheme + "://" + u.Host
	p.mu.Lock()
	defer p.mu.Unlock()
	if rp, ok := p.rps[origin]; ok {
		return rp, nil
	}
	if len(p.rps) > 16 {
		p.rps = map[string]*webauthn.WebAuthn{} // bounded: Host headers are chosen by clients
	}
	rp, err := webauthn.New(&webauthn.Config{
		RPID: u.Hostname(), RPDisplayName: p.name, RPOrigins: []string{origin},
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: loginTimeout},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: registrationTimeout},
		},
	})
	if err != nil {
		return nil, fiber.NewError(fiber.StatusBadRequest, "Passkeys need the blog to be opened by its name, such as localhost or blog.example.com.")
	}
	p.rps[origin] = rp
	return rp, nil
}

// numericHost explains why a page opened at a numeric address cannot use passkeys, and where to open it instead.
func numericHost(ip netip.Addr, u *url.URL) string {
	msg := "Passkeys work only when the blog is opened by its name, not by a numeric address such as " + ip.String() + ". "
	if ip.IsLoopback() || ip.IsUnspecified() {
		local := *u
		local.Host = "localhost"
		if port := u.Port(); port != "" {
			local.Host += ":" + port
		}
		return msg + "Open it at " + local.String() + " instead (the same page, with localhost in the address), or use a password."
	}
	return msg + "Open it at its name instead (the address BASE_URL names), or use a password."
}

// user is the blog's one owner as WebAuthn sees it.
type user struct {
	id    []byte
	name  string
	creds []webauthn.Credential
	ids   []int64 // our credential ids, parallel to creds
}

func (u *user) WebAuthnID() []byte                         { return u.id }
func (u *user) WebAuthnName() string                       { return u.name }
func (u *user) WebAuthnDisplayName() string                { return u.name }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// owner returns the WebAuthn user with its stored passkeys. Its handle is derived from the key, so it is stable
// and needs no storage.
func (p *passkeys) owner(stored []accounts.Credential) (*user, error) {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("webauthn user"))
	u := &user{id: m.Sum(nil), name: "owner"}
	for _, c := range stored {
		var wc webauthn.Credential
		if err := json.Unmarshal([]byte(c.Secret), &wc); err != nil {
			return nil, err
		}
		u.creds = append(u.creds, wc)
		u.ids = append(u.ids, c.ID)
	}
	return u, nil
}

// ceremony is what the cookie carries: what the ceremony is for, and the library's session data.
type ceremony struct {
	Purpose string               `json:"p"`
	Data    webauthn.SessionData `json:"d"`
}

func (p *passkeys) sign(payload string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("ceremony:" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// begin stores a ceremony's state in the signed cookie.
func (p *passkeys) begin(c *fiber.Ctx, purpose string, data *webauthn.SessionData, secure bool) error {
	b, err := json.Marshal(ceremony{Purpose: purpose, Data: *data})
	if err != nil {
		return err
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: ceremonyCookie, Value: payload + "." + p.sign(payload), Path: "/admin", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Secure: secure || c.Protocol() == "https", Expires: data.Expires})
	return nil
}

// errCeremony means the passkey ceremony's state is missing, altered, expired, for something else, or answered
// already.
var errCeremony = errors.New("The passkey request expired, or was answered already (in another tab?). Please try again.")

// finish reads and clears the ceremony's state, which must be for purpose, and uses up its challenge: whatever
// comes of this answer, no other answer to the same challenge is accepted, on any instance. Any error other
// than errCeremony is the database's.
func (p *passkeys) finish(c *fiber.Ctx, purpose string) (webauthn.SessionData, error) {
	v := c.Cookies(ceremonyCookie)
	c.ClearCookie(ceremonyCookie)
	payload, sig, ok := strings.Cut(v, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(p.sign(payload))) {
		return webauthn.SessionData{}, errCeremony
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	var cer ceremony
	if err != nil || json.Unmarshal(b, &cer) != nil || cer.Purpose != purpose || time.Now().After(cer.Data.Expires) ||
		cer.Data.Challenge == "" {
		return webauthn.SessionData{}, errCeremony
	}
	err = p.use(c.UserContext(), hashToken(cer.Data.Challenge), cer.Data.Expires)
	if errors.Is(err, repo.ErrConflict) {
		return webauthn.SessionData{}, errCeremony
	}
	return cer.Data, err
}
