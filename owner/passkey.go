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

	"blog/repo"
	"blog/repo/accounts"
)

// How long a passkey ceremony's challenge can be answered: the browser's prompt and the owner's touch. Each
// challenge is accepted once besides, so the time only bounds how long an unanswered one stays good. Signing in
// is a touch or a PIN; registering may mean creating the passkey on a phone, and 5 minutes is the lower end of
// what WebAuthn recommends when the user is verified.
const (
	loginTimeout        = 2 * time.Minute
	registrationTimeout = 5 * time.Minute
)

// Passkeys runs WebAuthn ceremonies. The relying party is the blog's host: from BASE_URL when set, otherwise
// the host the request came to (a browser only lets a page use passkeys of its own host, so a forged Host
// header gains nothing). A ceremony's state travels with the browser between its two requests, signed (Seal,
// Open).
type Passkeys struct {
	name    string
	baseURL string
	key     []byte
	// use records that a challenge has been answered; a second answer to it is repo.ErrConflict.
	use func(ctx context.Context, hash string, expires time.Time) error

	mu  sync.Mutex
	rps map[string]*webauthn.WebAuthn // by origin
}

func newPasskeys(name, baseURL string, key []byte, use func(context.Context, string, time.Time) error) *Passkeys {
	return &Passkeys{name: name, baseURL: baseURL, key: key, use: use, rps: map[string]*webauthn.WebAuthn{}}
}

// Passkeys returns the owner's passkey ceremonies.
func (o *Owner) Passkeys() *Passkeys { return o.passkeys }

// AddressError is why passkeys cannot be used at the address the blog was opened at, in a sentence for the owner.
type AddressError struct{ Msg string }

func (e AddressError) Error() string { return e.Msg }

// RelyingParty returns the WebAuthn configuration for the blog's origin: BASE_URL's, or else requestOrigin
// (scheme://host the request came to). An origin passkeys cannot be bound to is an AddressError.
func (p *Passkeys) RelyingParty(requestOrigin string) (*webauthn.WebAuthn, error) {
	origin := p.baseURL
	if origin == "" {
		origin = requestOrigin
	}
	u, err := url.Parse(origin)
	if err != nil || u.Hostname() == "" {
		return nil, AddressError{"The blog cannot tell its own address, which passkeys are bound to. Set BASE_URL."}
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		// A browser refuses a passkey for a numeric address before it asks the owner: say so in words first.
		return nil, AddressError{numericHost(ip, u)}
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
		return nil, AddressError{"Passkeys need the blog to be opened by its name, such as localhost or blog.example.com."}
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

// User is the blog's one owner as WebAuthn sees it.
type User struct {
	id    []byte
	name  string
	Creds []webauthn.Credential
	IDs   []int64 // our credential ids, parallel to Creds
}

func (u *User) WebAuthnID() []byte                         { return u.id }
func (u *User) WebAuthnName() string                       { return u.name }
func (u *User) WebAuthnDisplayName() string                { return u.name }
func (u *User) WebAuthnCredentials() []webauthn.Credential { return u.Creds }

// Owner returns the WebAuthn user with its stored passkeys. Its handle is derived from the key, so it is stable
// and needs no storage.
func (p *Passkeys) Owner(stored []accounts.Credential) (*User, error) {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("webauthn user"))
	u := &User{id: m.Sum(nil), name: "owner"}
	for _, c := range stored {
		var wc webauthn.Credential
		if err := json.Unmarshal([]byte(c.Secret), &wc); err != nil {
			return nil, err
		}
		u.Creds = append(u.Creds, wc)
		u.IDs = append(u.IDs, c.ID)
	}
	return u, nil
}

// ceremony is what the browser carries: what the ceremony is for, and the library's session data.
type ceremony struct {
	Purpose string               `json:"p"`
	Data    webauthn.SessionData `json:"d"`
}

func (p *Passkeys) sign(payload string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("ceremony:" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Seal returns a ceremony's state for purpose, signed, for the browser to carry until it answers (until
// data.Expires).
func (p *Passkeys) Seal(purpose string, data *webauthn.SessionData) (string, error) {
	b, err := json.Marshal(ceremony{Purpose: purpose, Data: *data})
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + p.sign(payload), nil
}

// ErrCeremony means the passkey ceremony's state is missing, altered, expired, for something else, or answered
// already.
var ErrCeremony = errors.New("The passkey request expired, or was answered already (in another tab?). Please try again.")

// Open reads a ceremony's state v that Seal made, which must be for purpose, and uses up its challenge: whatever
// comes of this answer, no other answer to the same challenge is accepted, on any instance. Any error other
// than ErrCeremony is the database's.
func (p *Passkeys) Open(ctx context.Context, purpose, v string) (webauthn.SessionData, error) {
	payload, sig, ok := strings.Cut(v, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(p.sign(payload))) {
		return webauthn.SessionData{}, ErrCeremony
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	var cer ceremony
	if err != nil || json.Unmarshal(b, &cer) != nil || cer.Purpose != purpose || time.Now().After(cer.Data.Expires) ||
		cer.Data.Challenge == "" {
		return webauthn.SessionData{}, ErrCeremony
	}
	err = p.use(ctx, hashToken(cer.Data.Challenge), cer.Data.Expires)
	if errors.Is(err, repo.ErrConflict) {
		return webauthn.SessionData{}, ErrCeremony
	}
	return cer.Data, err
}
