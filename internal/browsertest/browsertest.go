// Package browsertest starts Debian's headless Chromium for browser tests through chromedp. Without chromium the
// tests skip, except in CI (CI=true), where they fail.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium; each Tab is a page in it.
type Browser struct {
	ctx context.Context
	// mu guards requests.
	mu       sync.Mutex
	requests []string
}

// New gives the test a browser of its own: a browser context (cookies, storage and cache of its own) in the
// Chromium its package shares when its TestMain runs the tests through Main, or else a Chromium started for the
// test alone; either way it is closed when the test ends. Browser tests call t.Parallel() first: each has a
// server of its own and spends most of its time waiting on the browser, so two of them (go test's -parallel, the
// number of cores by default) share the machine well.
func New(t *testing.T) *Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped with -short (make test-short)")
	}
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed in CI: browser tests must run there")
		}
		t.Skip("chromium not installed; skipping browser test (apt-get install chromium-headless-shell)")
	}
	if parent, ok := sharedBrowser(t, path); ok {
		ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
		if err := chromedp.Do(ctx); err != nil {
			cancel()
			t.Fatalf("open a browser context: %v", err)
		}
		t.Cleanup(cancel)
		return &Browser{ctx: ctx}
	}
	ctx, cancel, err := start(path, t.TempDir())
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(cancel)
	return &Browser{ctx: ctx}
}

// chromiumPath prefers Chromium's headless shell (Debian's chromium-headless-shell, what Puppeteer calls
// headless "shell"): the same Blink and V8 without the desktop browser around them, it took half the CPU of
// `chromium --headless` for the same tests (cmd/web's browser tests: 113 s of Chromium CPU against about 200 s,
// and 151 s of wall time against 198 at -parallel 4). The full browser serves when the shell is not installed.
func chromiumPath() string {
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// start starts Chromium with its profile in dataDir; cancel stops it.
func start(path, dataDir string) (context.Context, func(), error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(dataDir),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		return nil, nil, err
	}
	return ctx, func() { cancel(); cancelAlloc() }, nil
}

// shared is the Chromium a package's browser tests share when Main runs them: starting one costs a second or
// two of both cores, once per test before.
var shared struct {
	mu   sync.Mutex
	main bool // Main runs the tests: it stops the browser when they end
	ctx  context.Context
	stop func()
	dir  string
	err  error
}

// sharedBrowser returns the package's Chromium, starting it on first use, or false when Main does not run the
// tests (nothing would stop it).
func sharedBrowser(t *testing.T, path string) (context.Context, bool) {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.main {
		return nil, false
	}
	if shared.ctx == nil && shared.err == nil {
		shared.dir, shared.err = os.MkdirTemp("", "blogtest-chromium-")
		if shared.err == nil {
			shared.ctx, shared.stop, shared.err = start(path, shared.dir)
		}
	}
	if shared.err != nil {
		t.Fatalf("start chromium: %v", shared.err)
	}
	return shared.ctx, true
}

// Main runs a package's tests with one Chromium for all of them (each test in a browser context of its own),
// then stops it and removes its profile; it returns the exit code for os.Exit.
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.main = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.stop != nil {
		shared.stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	shared.ctx, shared.stop, shared.dir = nil, nil, ""
	return code
}

// Tab opens a new page; it records every URL the page requests (see Requests).
func (b *Browser) Tab(t *testing.T) context.Context {
	t.Helper()
	return b.tab(t)
}

// PrivateTab opens a page in a browser context of its own: like another person's browser, it shares no cookies
// with the other tabs.
func (b *Browser) PrivateTab(t *testing.T) context.Context {
	t.Helper()
	return b.tab(t, chromedp.WithNewBrowserContext())
}

// Passkeys gives the tab a virtual authenticator (the DevTools WebAuthn domain) that creates and uses passkeys
// as a platform authenticator would, verifying the user at once.
func Passkeys(t *testing.T, tab context.Context) {
	t.Helper()
	if _, err := chromedp.Call(tab, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("enable WebAuthn: %v", err)
	}
	_, err := chromedp.Call(tab, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil {
		t.Fatalf("add a virtual authenticator: %v", err)
	}
}

func (b *Browser) tab(t *testing.T, opts ...chromedp.ContextOption) context.Context {
	ctx, cancel := chromedp.NewContext(b.ctx, append(opts, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			b.mu.Lock()
			b.requests = append(b.requests, e.Request.URL)
			b.mu.Unlock()
		}
	}))...)
	t.Cleanup(cancel)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// ThirdParty returns the requests any tab made to a URL outside base.
func (b *Browser) ThirdParty(base string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, u := range b.requests {
		if !strings.HasPrefix(u, base) && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "about:") {
			out = append(out, u)
		}
	}
	return out
}

// Wait polls a JavaScript expression in the tab until it is truthy, failing the test after 30 s (other builds may
// share the machine). A navigation meanwhile (a form post, a redirect) restarts the polling on the new page, and
// an expression that throws (an element the page has not made yet: the new page may still be loading) is polled
// again. The polling is done from here, one evaluation at a time, each with its own deadline: chromedp's Poll
// runs its loop in the page on the page's timers, which never fire in a tab with scripts disabled, and its call
// then waited for ever (a test of the console without JavaScript hung a whole run that way).
func Wait(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last error
	answered, failed := 0, 0
	for {
		call, cancel := context.WithDeadline(ctx, deadline)
		ok, err := chromedp.Run(call, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			last, failed = err, failed+1
		} else {
			answered++
		}
		if time.Now().After(deadline) {
			// What the tab looked like says whether it was stuck, somewhere else, or simply not there yet.
			look, lcancel := context.WithTimeout(ctx, 5*time.Second)
			state, serr := chromedp.Run(look, chromedp.Evaluate[string](`location.href + ' ' + document.readyState + ' hidden=' + document.hidden`))
			lcancel()
			t.Fatalf("waiting for %s (%s): false %d times, %d evaluations failed (last: %v); the tab: %s %v",
				what, expr, answered, failed, last, state, serr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitFor polls a JavaScript expression until its text is want, for 30 s; a failure says the last text seen.
func WaitFor(t *testing.T, ctx context.Context, what, expr, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	var lastErr error
	for {
		call, cancel := context.WithDeadline(ctx, deadline)
		got, err := chromedp.Run(call, chromedp.Evaluate[string]("String("+expr+")"))
		cancel()
		if err == nil && got == want {
			return
		}
		if err == nil {
			last = got
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s to be %q: it was %q (last error: %v)", what, want, last, lastErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Eval evaluates a JavaScript expression in the tab and decodes its value.
func Eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Do runs actions in the tab and fails the test on error.
func Do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}
