package handlers_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"blog/internal/passkeytest"
)

// netBrowser is a browser at one loopback address talking to the served blog over TCP, so that the blog sees
// its own client address for each.
type netBrowser struct {
	base  string
	http  *http.Client
	token string
}

func newNetBrowser(t testing.TB, base, from string) *netBrowser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 30 * time.Second}).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	b := &netBrowser{base: base, http: &http.Client{Jar: jar, Transport: tr, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, page := b.send(t, http.MethodGet, "/admin/login", "", nil)
	b.token, _ = doc(t, page).Find(`meta[name="csrf-token"]`).Attr("content")
	if b.token == "" {
		t.Fatalf("no token on the sign-in page from %s", from)
	}
	return b
}

func (b *netBrowser) send(t testing.TB, method, path, contentType string, body []byte) (int, string) {
	req, _ := http.NewRequest(method, b.base+path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-CSRF-Token", b.token)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, ""
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func (b *netBrowser) password(t testing.TB, pw string) int {
	st, _ := b.send(t, http.MethodPost, "/admin/login", "application/x-www-form-urlencoded",
		[]byte(url.Values{"password": {pw}}.Encode()))
	return st
}

// TestOwnerSignsInWhileAnotherAddressFloods: while one address sends wrong passwords as fast as it can, the
// owner, at another address and in a browser the blog has not seen, signs in at the first try with the password
// and with a passkey.
func TestOwnerSignsInWhileAnotherAddressFloods(t *testing.T) {
	a := newTestApp(t)
	key := passkeytest.New("http://blog.test")
	addPasskey(t, a.owner(t), key)
	base := a.serve(t)

	var sent, let atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		attacker := newNetBrowser(t, base, "127.0.0.2")
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				st := attacker.password(t, "a wrong guess")
				if st == http.StatusUnauthorized {
					let.Add(1)
				} else if st != http.StatusTooManyRequests {
					t.Errorf("an attacker's attempt: %d", st)
					return
				}
				sent.Add(1)
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	// Past the hundred attempts the whole blog allows at once, before the owner comes.
	deadline := time.Now().Add(60 * time.Second)
	for sent.Load() < 300 {
		if time.Now().After(deadline) {
			t.Fatalf("the flood sent only %d attempts in 60 s", sent.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}

	if st := newNetBrowser(t, base, "127.0.0.3").password(t, testPassword); st != http.StatusSeeOther {
		t.Fatalf("the owner's password during the flood (%d attempts sent): %d, want 303", sent.Load(), st)
	}
	b := newNetBrowser(t, base, "127.0.0.3")
	st, opts := b.send(t, http.MethodPost, "/admin/login/passkey/begin", "application/json", []byte("{}"))
	if st != http.StatusOK {
		t.Fatalf("the owner's passkey during the flood: begin %d %s", st, opts)
	}
	answer, err := key.Assert([]byte(opts))
	if err != nil {
		t.Fatal(err)
	}
	if st, body := b.send(t, http.MethodPost, "/admin/login/passkey/finish", "application/json", answer); st != http.StatusOK {
		t.Fatalf("the owner's passkey during the flood: finish %d %s", st, body)
	}
	if n := let.Load(); n > 11 {
		t.Fatalf("the flooding address had %d attempts let through, want at most 11", n)
	}
}
