package signin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/csrf"
	"blog/database"
	"blog/handlers/web"
	"blog/internal/dbtest"
	"blog/internal/passkeytest"
	"blog/owner"
	"blog/repo"
	"blog/repo/accounts"
)

const (
	testPassword = "a long and proper password"
	testOrigin   = "http://blog.test"
)

// clock is a test's time: the sign-in limits read it, and the test moves it on.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// signInTest is the owner's sign-in handlers over a real SQLite file, behind a proxy the blog trusts (app.Test's
// peer), so that each request can come from the address its X-Forwarded-For names. The limits' clock is the
// test's.
type signInTest struct {
	own   *owner.Owner
	app   *fiber.App
	db    *database.DB
	clock *clock
	key   *passkeytest.Authenticator
}

func newSignInTest(t *testing.T) *signInTest {
	t.Helper()
	db := dbtest.SQLite(t)
	key := []byte("test-key-test-key-test-key-0123")
	clk := &clock{t: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	own, err := owner.New(owner.Config{Store: accounts.NewOwner(db), Audit: repo.NewAudit(db), Key: key, SiteTitle: "Test Blog",
		BaseURL: testOrigin, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), FailureDelay: time.Millisecond, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	o := New(Config{Owner: own, Clients: web.Clients{Trusted: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}},
		CSRF: csrf.New(key, false)})
	app := fiber.New()
	app.Post("/admin/login", o.Login)
	app.Post("/admin/login/passkey/begin", o.PasskeyLoginBegin)
	app.Post("/admin/login/passkey/finish", o.PasskeyLoginFinish)
	// Registering needs a session in the blog; these handlers do not read it, and the test has none yet.
	app.Post("/admin/account/passkey/begin", o.AddPasskeyBegin)
	app.Post("/admin/account/passkey/finish", o.AddPasskeyFinish)
	s := &signInTest{own: own, app: app, db: db, clock: clk, key: passkeytest.New(testOrigin)}

	hash, err := owner.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := accounts.NewOwner(db).SetPassword(context.Background(), hash, repo.Action{Actor: repo.ActorCLI, Name: "set-password"}); err != nil {
		t.Fatal(err)
	}
	b := s.browser("192.0.2.250")
	resp, opts := b.post(t, "/admin/account/passkey/begin", nil)
	answer, err := s.key.Register(opts)
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("passkey registration begin: %d, %v", resp.StatusCode, err)
	}
	if resp, body := b.post(t, "/admin/account/passkey/finish", answer); resp.StatusCode != 200 {
		t.Fatalf("passkey registration finish: %d %s", resp.StatusCode, body)
	}
	return s
}

// browser is one browser at one address: it keeps its cookies.
type browser struct {
	s       *signInTest
	from    string
	cookies map[string]string
}

func (s *signInTest) browser(from string) *browser {
	return &browser{s: s, from: from, cookies: map[string]string{}}
}

func (b *browser) post(t *testing.T, path string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	if strings.HasPrefix(string(body), "password=") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Forwarded-For", b.from)
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.s.app.Test(req, -1)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp, out
}

// password tries a password and returns the status.
func (b *browser) password(t *testing.T, pw string) int {
	t.Helper()
	resp, _ := b.post(t, "/admin/login", []byte("password="+url.QueryEscape(pw)))
	return resp.StatusCode
}

// passkey signs in with the test's passkey and returns the status of the step that ended the attempt.
func (b *browser) passkey(t *testing.T) int {
	t.Helper()
	resp, opts := b.post(t, "/admin/login/passkey/begin", nil)
	if resp.StatusCode != 200 {
		return resp.StatusCode
	}
	answer, err := b.s.key.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ = b.post(t, "/admin/login/passkey/finish", answer)
	return resp.StatusCode
}

// TestOwnerSignsInWhileOneAddressFloods plays a minute of ten sign-in attempts a second from one address. The
// attacker gets what one client gets (ten, then one every 30 s), and the owner, from another address and a
// browser the blog does not know, signs in with the password and with the passkey at the first try all along:
// the attempts refused to the attacker do not spend the budget shared by every address.
func TestOwnerSignsInWhileOneAddressFloods(t *testing.T) {
	s := newSignInTest(t)
	attacker := s.browser("203.0.113.7")
	let := 0
	for i := 1; i <= 600; i++ {
		s.clock.advance(100 * time.Millisecond)
		switch st := attacker.password(t, "guess "+fmt.Sprint(i)); st {
		case http.StatusUnauthorized:
			let++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("attempt %d: status %d", i, st)
		}
		if i%150 == 0 {
			at := time.Duration(i) * 100 * time.Millisecond
			if st := s.browser("198.51.100.20").password(t, testPassword); st != http.StatusSeeOther {
				t.Fatalf("after %v of the flood, the owner's password sign-in: %d, want 303", at, st)
			}
			if st := s.browser("198.51.100.20").passkey(t); st != http.StatusOK {
				t.Fatalf("after %v of the flood, the owner's passkey sign-in: %d, want 200", at, st)
			}
		}
	}
	// Ten at once, then one 30 s later; the next would be due just after the minute.
	if let != 11 {
		t.Fatalf("the flooding address had %d of 600 attempts let through, want 11 (10, then one every 30 s)", let)
	}
}

// TestAnIPv6SlashSixtyFourIsOneClient: addresses of one /64, with or without a zone, share one client's
// attempts; the next /64 is another client.
func TestAnIPv6SlashSixtyFourIsOneClient(t *testing.T) {
	s := newSignInTest(t)
	for i := range 10 {
		from := fmt.Sprintf("2001:db8:1:2:%x::%x", i*4099, i+1)
		if i%2 == 1 {
			from += "%eth" + fmt.Sprint(i)
		}
		if st := s.browser(from).password(t, "guess"); st != http.StatusUnauthorized {
			t.Fatalf("attempt %d from %s: %d, want 401", i+1, from, st)
		}
	}
	for _, from := range []string{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::1%lo", "::ffff:192.0.2.9"} {
		want := http.StatusTooManyRequests
		if from == "::ffff:192.0.2.9" {
			want = http.StatusUnauthorized // an IPv4-mapped address is its own IPv4 client
		}
		if st := s.browser(from).password(t, "guess"); st != want {
			t.Fatalf("attempt from %s: %d, want %d", from, st, want)
		}
	}
	if st := s.browser("2001:db8:1:3::1").password(t, testPassword); st != http.StatusSeeOther {
		t.Fatalf("the next /64 with the password: %d, want 303", st)
	}
}

// TestManyAddressesCannotLockTheOwnerOut: an attacker with as many addresses as it takes spends the budget that
// password attempts from unknown browsers share. A new browser's password attempt then waits, but the owner's
// passkey works from anywhere, and the password works from a browser the owner signed in with before (its
// device cookie), even at an address the attacker shares. A forged or altered device cookie counts for nothing.
func TestManyAddressesCannotLockTheOwnerOut(t *testing.T) {
	s := newSignInTest(t)
	known := s.browser("198.51.100.20")
	if st := known.password(t, testPassword); st != http.StatusSeeOther || known.cookies[deviceCookie] == "" {
		t.Fatalf("first sign-in: %d, device cookie %q", st, known.cookies[deviceCookie])
	}
	// A day later, 1000 addresses try a password each, and keep one attempt waiting every second.
	s.clock.advance(24 * time.Hour)
	for i := range 1000 {
		s.own.Allow(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1}), "", true)
	}
	if st := s.browser("198.51.100.21").password(t, testPassword); st != http.StatusTooManyRequests {
		t.Fatalf("a new browser's password with the shared budget spent: %d, want 429", st)
	}
	// The attacker at the owner's own address too.
	for range 20 {
		s.browser("198.51.100.20").password(t, "guess")
	}
	forged := s.browser("198.51.100.20")
	forged.cookies[deviceCookie] = strings.Replace(known.cookies[deviceCookie], ".", "x.", 1)
	if st := forged.password(t, testPassword); st != http.StatusTooManyRequests {
		t.Fatalf("an altered device cookie: %d, want 429", st)
	}
	if st := known.password(t, testPassword); st != http.StatusSeeOther {
		t.Fatalf("the owner's known browser with the password: %d, want 303", st)
	}
	if st := s.browser("198.51.100.22").passkey(t); st != http.StatusOK {
		t.Fatalf("the passkey from a new browser: %d, want 200", st)
	}
	// A device cookie past its age is a stranger's.
	s.clock.advance(owner.DeviceMaxAge + time.Hour)
	for i := range 1000 {
		s.own.Allow(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 2}), "", true)
	}
	stale := s.browser("198.51.100.23")
	stale.cookies[deviceCookie] = known.cookies[deviceCookie]
	if st := stale.password(t, testPassword); st != http.StatusTooManyRequests {
		t.Fatalf("a device cookie older than its age: %d, want 429", st)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/admin/bans?x=1": "/admin/bans?x=1", "/admin": "/admin", "": "/admin", "https://evil.example/admin": "/admin",
		"//evil.example": "/admin", "/posts/x": "/admin", "/admin\\@evil": "/admin",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
