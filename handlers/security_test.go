package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"blog/handlers"
	"blog/internal/dbtest"
	"blog/limits"
)

// TestCSRF: the public forms carry no token; a post that a browser marks as cross-site (Sec-Fetch-Site, or a
// foreign Origin where that header is missing) is refused and stores nothing, whatever else it carries.
func TestCSRF(t *testing.T) {
	a := newTestApp(t)
	valid := form("Ann", "ann@example.com", "hello")
	tests := []struct {
		name       string
		secFetch   string
		origin     string
		htmx       bool
		wantStatus int
	}{
		{"cross-site browser request", "cross-site", "", true, 403},
		{"cross-site plain form", "cross-site", "https://evil.example", false, 403},
		{"same-site (a sibling subdomain)", "same-site", "https://other.blog.test", true, 403},
		{"foreign Origin, no Sec-Fetch-Site", "", "https://evil.example", false, 403},
		{"null Origin (a sandboxed frame)", "", "null", false, 403},
		{"same-origin htmx", "same-origin", "", true, 200},
		{"same-origin plain form", "same-origin", "http://example.com", false, 303},
		{"own Origin, no Sec-Fetch-Site", "", "http://example.com", false, 303},
		{"neither header: not a browser page", "", "", false, 303},
	}
	stored := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httpReq(http.MethodPost, "/posts/hello-world/comments", valid)
			req.Host = "example.com"
			for h, v := range map[string]string{"Sec-Fetch-Site": tt.secFetch, "Origin": tt.origin} {
				if v != "" {
					req.Header.Set(h, v)
				}
			}
			if tt.htmx {
				req.Header.Set("HX-Request", "true")
			}
			resp, body := a.do(t, req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == 403 {
				d := doc(t, body)
				if tt.htmx {
					if resp.Header.Get("HX-Reswap") != "none" || !strings.Contains(d.Find(`#form-notice[hx-swap-oob]`).Text(), "refused") {
						t.Fatalf("htmx 403 should leave the form and show a notice: %s", body)
					}
				} else if !strings.Contains(d.Find(`[data-testid="ErrorPage"]`).Text(), "refused") {
					t.Fatalf("403 page: %s", body)
				}
			} else {
				stored++
			}
			if n := a.countComments(t); n != stored {
				t.Fatalf("%d comments stored, want %d", n, stored)
			}
		})
	}
}

func TestCookieAndSecurityHeaders(t *testing.T) {
	a := newTestApp(t)
	// The owner's sign-in page keeps a token (and its cookie); the public pages have none.
	resp, _ := a.get(t, "/admin/login")
	var csrf *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "csrf_id" {
			csrf = c
		}
	}
	if csrf == nil || !csrf.HttpOnly || csrf.SameSite != http.SameSiteLaxMode || csrf.Secure {
		t.Fatalf("cookie = %+v, want HttpOnly, SameSite=Lax, not Secure over plain HTTP", csrf)
	}
	// X-Forwarded-Proto is believed from a trusted proxy only: from anyone else it changes nothing.
	secure := func(a *testApp) bool {
		t.Helper()
		req := httpReq(http.MethodGet, "/admin/login", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, _ := a.do(t, req)
		for _, c := range resp.Cookies() {
			if c.Name == "csrf_id" {
				return c.Secure
			}
		}
		t.Fatal("no CSRF cookie set")
		return false
	}
	if secure(a) {
		t.Error("a client's own X-Forwarded-Proto made the cookie Secure")
	}
	// app.Test's requests come from 0.0.0.0.
	proxied := newTestApp(t, func(c *handlers.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")} })
	if !secure(proxied) {
		t.Error("cookie not Secure behind a trusted proxy that speaks HTTPS")
	}
	for _, path := range []string{"/", "/posts/hello-world", "/nope", "/assets/dist/app.js"} {
		resp, _ := a.get(t, path)
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP allows something unsafe: %q", path, csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin", "X-Frame-Options": "DENY"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		if !strings.Contains(resp.Header.Get("Permissions-Policy"), "camera=()") {
			t.Errorf("%s: Permissions-Policy = %q", path, resp.Header.Get("Permissions-Policy"))
		}
	}
}

func TestRateLimit(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.RateLimit = limits.Rate{Every: time.Hour, Burst: 2} })
	for i := range 2 {
		if resp, _ := a.postComment(t, "hello-world", form("Ann", "ann@example.com", "ok"), true); resp.StatusCode != 200 {
			t.Fatalf("post %d: status %d", i, resp.StatusCode)
		}
	}
	resp, body := a.postComment(t, "hello-world", form("Ann", "ann@example.com", "third in a row"), true)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("status = %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	d := doc(t, body)
	if !strings.Contains(d.Find(`#form-notice`).Text(), "too quickly") || d.Find("#comment-body").Text() != "third in a row" {
		t.Fatalf("429 answer should keep the text and explain: %s", body)
	}
	resp, body = a.postComment(t, "hello-world", form("Ann", "ann@example.com", "plain too"), false)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(doc(t, body).Find("#comment-body").Text(), "plain too") {
		t.Fatalf("plain post: status %d", resp.StatusCode)
	}
	// Invalid input does not use up the allowance, and is still answered with its messages.
	if resp, _ := a.postComment(t, "hello-world", form("", "", ""), true); resp.StatusCode != 422 {
		t.Fatalf("invalid post while limited: status %d, want 422", resp.StatusCode)
	}
	if n := a.countComments(t); n != 2 {
		t.Fatalf("%d comments stored, want 2", n)
	}
	// A spoofed X-Forwarded-For from an untrusted peer does not dodge the limit.
	cookie, token := a.visitor(t)
	req := httpReq(http.MethodPost, "/posts/hello-world/comments", form("Ann", "ann@example.com", "spoofed"))
	req.AddCookie(&http.Cookie{Name: "csrf_id", Value: cookie})
	req.Header.Set("X-CSRF-Token", token)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	if resp, _ := a.do(t, req); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("spoofed X-Forwarded-For: status %d, want 429", resp.StatusCode)
	}
}

func TestRateLimitBehindTrustedProxy(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) {
		c.RateLimit = limits.Rate{Every: time.Hour, Burst: 1}
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32"), netip.MustParsePrefix("127.0.0.0/8")}
	})
	cookie, token := a.visitor(t)
	post := func(xff string) int {
		req := httpReq(http.MethodPost, "/posts/hello-world/comments", form("Ann", "ann@example.com", "via proxy "+xff))
		req.AddCookie(&http.Cookie{Name: "csrf_id", Value: cookie})
		req.Header.Set("X-CSRF-Token", token)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-Forwarded-For", xff)
		resp, _ := a.do(t, req)
		return resp.StatusCode
	}
	// The proxy appends the real client; whatever the client wrote before it is ignored.
	if got := post("198.51.100.1, 127.0.0.1"); got != 200 {
		t.Fatalf("first client: %d", got)
	}
	if got := post("203.0.113.5, 198.51.100.1"); got != 429 {
		t.Fatalf("same client with a forged first hop: %d, want 429", got)
	}
	if got := post("198.51.100.2"); got != 200 {
		t.Fatalf("second client: %d, want 200", got)
	}
	// A proxy that appends its own header line (HAProxy's option forwardfor): the last line speaks.
	req := httpReq(http.MethodPost, "/posts/hello-world/comments", form("Ann", "ann@example.com", "two lines"))
	req.AddCookie(&http.Cookie{Name: "csrf_id", Value: cookie})
	req.Header.Set("X-CSRF-Token", token)
	req.Header.Set("HX-Request", "true")
	req.Header.Add("X-Forwarded-For", "203.0.113.77")
	req.Header.Add("X-Forwarded-For", "198.51.100.1")
	if resp, _ := a.do(t, req); resp.StatusCode != 429 {
		t.Fatalf("client line then proxy line: %d, want 429 (the proxy's line names the limited client)", resp.StatusCode)
	}
	// One IPv6 /64 is one client, whatever address of it is used.
	if got := post("2001:db8:1:2::1"); got != 200 {
		t.Fatalf("IPv6 client: %d", got)
	}
	if got := post("2001:db8:1:2:ffff::9"); got != 429 {
		t.Fatalf("another address of the same /64: %d, want 429", got)
	}
	if got := post("2001:db8:1:3::1"); got != 200 {
		t.Fatalf("another /64: %d, want 200", got)
	}
}

// The limit is counted in the database, so several instances on one PostgreSQL database share it.
func TestRateLimitSharedByInstances(t *testing.T) {
	url := dbtest.MigratedPostgresURL(t)
	limit := func(c *handlers.Config) { c.RateLimit = limits.Rate{Every: time.Hour, Burst: 2} }
	a := newTestAppOn(t, dbtest.Open(t, url, true), limit)
	b := newTestAppOn(t, dbtest.Open(t, url, false), limit)
	for i, inst := range []*testApp{a, b, a, b} {
		resp, _ := inst.postComment(t, "hello-world", form("Ann", "ann@example.com", fmt.Sprintf("comment %d", i)), true)
		if want := []int{200, 200, 429, 429}[i]; resp.StatusCode != want {
			t.Fatalf("post %d (instance %c): %d, want %d", i, "abab"[i], resp.StatusCode, want)
		}
	}
}

func TestHoneypotDropsQuietly(t *testing.T) {
	a := newTestApp(t)
	f := form("Bot", "bot@example.com", "Buy now")
	f.Set("subject_line", "http://spam.example")
	for _, htmx := range []bool{false, true} {
		resp, _ := a.postComment(t, "hello-world", f, htmx)
		if want := map[bool]int{false: 303, true: 200}[htmx]; resp.StatusCode != want {
			t.Fatalf("status = %d, want %d", resp.StatusCode, want)
		}
	}
	if n := a.countComments(t); n != 0 {
		t.Fatalf("%d comments stored from a filled honeypot", n)
	}
	body := a.page(t, "/posts/hello-world")
	hp := doc(t, body).Find(`input[name="subject_line"]`)
	if ti, _ := hp.Attr("tabindex"); ti != "-1" || hp.ParentsFiltered(`[aria-hidden="true"]`).Length() == 0 {
		t.Fatal("honeypot field reachable by keyboard or screen reader")
	}
}

func TestBodyTooLarge(t *testing.T) {
	a := newTestApp(t)
	base := a.serve(t) // over a real socket: the limit is enforced while reading the request
	cookie, token := a.visitor(t)
	for _, htmx := range []bool{false, true} {
		f := form("Ann", "ann@example.com", strings.Repeat("x", 100_000))
		f.Set("_csrf", token)
		req, _ := http.NewRequest(http.MethodPost, base+"/posts/hello-world/comments", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "csrf_id", Value: cookie})
		if htmx {
			req.Header.Set("HX-Request", "true")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status = %d, want 413", resp.StatusCode)
		}
		if !strings.Contains(string(body), "too large") {
			t.Fatalf("no readable message: %.300s", body)
		}
	}
	if n := a.countComments(t); n != 0 {
		t.Fatalf("%d comments stored", n)
	}
}
