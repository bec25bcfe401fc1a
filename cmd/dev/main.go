// Command dev runs the blog while it is being written (make dev): it serves it at http://localhost:PORT behind a
// small proxy, rebuilds and restarts it when a Go file or a template's Go changes, restarts it without a build
// when a template's text or markup or a static file changes (templs.go; the blog reads its static files from
// assets/), rebuilds the CSS and scripts when their sources change (minified, exactly as make css and make js
// write them, so the tree stays as committed), serves the content folder live, and reloads the browser after each
// change.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

// run serves the blog for development until ctx ends.
func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	port := getenv("PORT")
	if port == "" {
		port = "8080"
	}
	// The page scripts and how make js minifies them: the Makefile's JS_SRC and JS_FLAGS, which make dev passes,
	// so a script added there is watched here too.
	jsSources, jsFlags := strings.Fields(getenv("JS_SRC")), strings.Fields(getenv("JS_FLAGS"))
	if len(jsSources) == 0 || len(jsFlags) == 0 {
		return errors.New("JS_SRC and JS_FLAGS are not set: start it with make dev, which passes the Makefile's")
	}
	tmp, err := os.MkdirTemp("", "blog-dev-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// The templates' Go as they are now, and their text where the blog reads it in templ's development mode.
	textDir := filepath.Join(tmp, "templ")
	if err := os.Mkdir(textDir, 0o700); err != nil {
		return err
	}
	x, err := newTempls(textDir, ".")
	if err != nil {
		return fmt.Errorf("templ: %w", err)
	}
	if !x.fast {
		fmt.Fprintln(out, "dev:", x.why)
	}
	d := &dev{out: out, bin: filepath.Join(tmp, "web"), reload: newBroadcast(), getenv: getenv, templs: x, built: hashBuilt(".")}
	ln, err := net.Listen("tcp", "localhost:"+port)
	if err != nil {
		return fmt.Errorf("listen on port %s (set PORT to use another): %w", port, err)
	}
	srv := &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Fprintf(out, "dev: serving http://localhost:%s (rebuilt and reloaded on every change; Ctrl-C stops)\n", port)

	// The CSS and the scripts: the same commands as make css and make js, watching their sources.
	for _, args := range [][]string{
		{"node_modules/.bin/tailwindcss", "-i", "assets/css/input.css", "-o", "assets/dist/app.css", "--minify", "--watch=always"},
		append([]string{"node_modules/.bin/esbuild"}, append(jsSources, append(jsFlags, "--watch=forever")...)...),
	} {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "BROWSERSLIST_IGNORE_OLD_DATA=1")
		cmd.Stdout, cmd.Stderr = io.Discard, &quiet{w: out}
		cmd.Stdin, _ = os.Open(os.DevNull) // tailwind's plain --watch stops when its input closes
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("%s: %w (run npm ci)", args[0], err)
		}
		defer cmd.Wait()
	}

	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := watchTree(w, "."); err != nil {
		return err
	}
	d.rebuild(ctx)
	defer d.stopServer()
	var pending map[string]bool
	timer := time.NewTimer(time.Hour)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			fmt.Fprintln(out, "dev: watching:", err)
		case ev := <-w.Events:
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() && !skipped(ev.Name) {
					watchTree(w, ev.Name)
				}
			}
			if kind := kindOf(ev.Name); kind != "" && !ev.Has(fsnotify.Chmod) {
				if pending == nil {
					pending = map[string]bool{}
				}
				pending[kind+"\x00"+ev.Name] = true
				timer.Reset(50 * time.Millisecond) // editors write a file in several steps
			}
		case <-timer.C:
			d.apply(ctx, pending)
			pending = nil
		}
	}
}

// kindOf says what a changed file needs: "templ" (generate its Go), "build" (rebuild and restart: Go code),
// "asset" (a static file the blog serves: it reads them from assets/ at start, ASSETS_DIR, so a restart), "content"
// (the server reads it live; the browser reloads) or "" (nothing).
func kindOf(path string) string {
	p := filepath.ToSlash(path)
	switch {
	case skipped(p):
		return ""
	case strings.HasSuffix(p, ".templ"):
		return "templ"
	case strings.HasSuffix(p, ".go"):
		return "build"
	case strings.HasPrefix(p, "assets/dist/") || strings.HasPrefix(p, "assets/fonts/") ||
		strings.HasPrefix(p, "assets/vendor/") || (strings.HasPrefix(p, "assets/") && !strings.Contains(p[len("assets/"):], "/")):
		return "asset"
	case strings.HasPrefix(p, "content/"):
		return "content"
	}
	return ""
}

// skipped are the paths never watched: dependencies, history, outputs.
func skipped(path string) bool {
	p := strings.TrimPrefix(filepath.ToSlash(path), "./")
	for _, dir := range []string{"node_modules", ".git", "bin", "tmp", "screenshots", "bench-results", "dist-docker"} {
		if p == dir || strings.HasPrefix(p, dir+"/") {
			return true
		}
	}
	return strings.HasSuffix(p, "~") || strings.HasPrefix(filepath.Base(p), ".#")
}

func watchTree(w *fsnotify.Watcher, root string) error {
	return filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err != nil || !e.IsDir() {
			return err
		}
		if path != "." && skipped(path) {
			return filepath.SkipDir
		}
		return w.Add(path)
	})
}

// hashBuilt returns the content hash of every file the running blog is built from or reads at start (kindOf
// "build" and "asset") under root.
func hashBuilt(root string) map[string][32]byte {
	sums := map[string][32]byte{}
	filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case e.IsDir() && path != root && skipped(path):
			return filepath.SkipDir
		case !e.IsDir() && (kindOf(path) == "build" || kindOf(path) == "asset"):
			if b, err := os.ReadFile(path); err == nil {
				sums[path] = sha256.Sum256(b)
			}
		}
		return nil
	})
	return sums
}

// unchanged reports whether a file the blog is built from or reads at start holds what it held when last seen
// (a file saved again as it was, or the CSS and script watchers writing their first build, the same bytes as
// committed), and records what it holds now.
func (d *dev) unchanged(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		delete(d.built, path)
		return false // removed: the build must do without it
	}
	sum := sha256.Sum256(b)
	was, ok := d.built[path]
	d.built[path] = sum
	return ok && was == sum
}

// dev is the running blog behind the proxy.
type dev struct {
	out    io.Writer
	bin    string
	getenv func(string) string
	reload *broadcast
	templs *templs
	// built are the content hashes of the files the blog is built from or reads at start, as last seen
	// (hashBuilt); failed is set while the last build failed, when a Go file saved again unchanged builds too.
	built  map[string][32]byte
	failed bool

	mu     sync.Mutex
	target *url.URL
	proc   *exec.Cmd
}

// apply acts on a batch of changed files: generates templ code, then rebuilds and restarts, or restarts, or
// reloads the browsers for content.
func (d *dev) apply(ctx context.Context, pending map[string]bool) {
	run := func(name string, args ...string) ([]byte, error) {
		return exec.CommandContext(ctx, name, args...).CombinedOutput()
	}
	build, restart, content := false, false, false
	for key := range pending {
		kind, path, _ := strings.Cut(key, "\x00")
		switch kind {
		case "templ":
			b, t, err := d.templs.edited(path, run)
			if err != nil {
				fmt.Fprintf(d.out, "dev: templ %s: %v\n", path, err)
			}
			build, restart = build || b, restart || t
		case "build":
			if strings.HasSuffix(path, "_templ.go") && d.templs.ours(path) {
				d.unchanged(path) // as the build will see it
				continue
			}
			if d.unchanged(path) && !d.failed {
				continue
			}
			build = true
			if templ := strings.TrimSuffix(path, "_templ.go") + ".templ"; templ != path && d.templs.fast {
				// Written outside make dev (templ generate): generated again here, so that what the build
				// compiles is what make dev knows of it.
				if _, _, err := d.templs.edited(templ, run); err != nil {
					fmt.Fprintf(d.out, "dev: templ %s: %v\n", templ, err)
				}
			}
		case "asset":
			restart = restart || !d.unchanged(path)
		case "content":
			content = true
		}
	}
	switch {
	case build:
		d.rebuild(ctx)
	case restart:
		start := time.Now()
		d.start(ctx)
		fmt.Fprintf(d.out, "dev: template text or a static file changed: restarted without a build in %s\n", time.Since(start).Round(10*time.Millisecond))
		d.reload.send()
	case content:
		time.Sleep(300 * time.Millisecond) // the server's own watcher takes the file in
		d.reload.send()
	}
}

// rebuild builds the blog and, if it builds, replaces the running one and reloads the browsers. A build that
// fails leaves the last good one serving and says why.
func (d *dev) rebuild(ctx context.Context) {
	start := time.Now()
	templs := d.templs.building()
	// Unoptimised and without symbol tables: a templ edit changes the views package's export data, so every
	// package above it compiles again, twice as fast this way (3.1 s instead of 6.8 s here), and the link is
	// shorter (1.1 s instead of 1.7 s after a Go edit). The blog is the same; only its speed is not measured here.
	build := exec.CommandContext(ctx, "go", "build", "-gcflags=all=-N -l", "-ldflags=-s -w", "-o", d.bin, "./cmd/web")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(d.out, "dev: the build failed (still serving the last one that built):\n%s", out)
		d.failed = true
		return
	}
	d.failed = false
	if err := d.templs.builtFrom(templs); err != nil {
		fmt.Fprintln(d.out, "dev: templ:", err)
	}
	d.start(ctx)
	fmt.Fprintf(d.out, "dev: rebuilt and restarted in %s\n", time.Since(start).Round(10*time.Millisecond))
	d.reload.send()
}

// start stops the running blog and starts the one last built.
func (d *dev) start(ctx context.Context) {
	d.stopServer()
	addr, err := freeAddr()
	if err != nil {
		fmt.Fprintln(d.out, "dev:", err)
		return
	}
	cmd := exec.CommandContext(ctx, d.bin)
	cmd.Env = append(os.Environ(), "ADDR="+addr)
	if d.templs.fast {
		// templ's development mode: the templates' text is read from the files templs writes (their folder is
		// TEMPL_DEV_MODE_ROOT, set in this process's environment).
		cmd.Env = append(cmd.Env, "TEMPL_DEV_MODE=true")
	}
	if d.getenv("ASSETS_DIR") == "" {
		cmd.Env = append(cmd.Env, "ASSETS_DIR=assets") // as the CSS and script watchers last wrote them
	}
	if d.getenv("CONTENT_DIR") == "" {
		cmd.Env = append(cmd.Env, "CONTENT_DIR=content") // the sample content, served live from its folder
	}
	if d.getenv("BASE_URL") == "" {
		cmd.Env = append(cmd.Env, "BASE_URL=http://localhost:"+portOf(d))
	}
	cmd.Stdout, cmd.Stderr = d.out, d.out
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(d.out, "dev:", err)
		return
	}
	target := &url.URL{Scheme: "http", Host: addr}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(target.String() + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
	}
	d.mu.Lock()
	d.target, d.proc = target, cmd
	d.mu.Unlock()
}

// portOf is the port the proxy serves on.
func portOf(d *dev) string {
	if p := d.getenv("PORT"); p != "" {
		return p
	}
	return "8080"
}

func (d *dev) stopServer() {
	d.mu.Lock()
	proc := d.proc
	d.proc, d.target = nil, nil
	d.mu.Unlock()
	if proc == nil {
		return
	}
	proc.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { proc.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		proc.Process.Kill()
		<-done
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// reloadScript reloads the page when the server says something changed. It is served by the proxy from the
// blog's own origin, so the blog's Content-Security-Policy ('self') allows it.
const reloadScript = `new EventSource("/_dev/events").addEventListener("reload", function () { location.reload(); });`

// ServeHTTP proxies to the running blog, adding the reload script to its pages.
func (d *dev) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_dev/reload.js":
		w.Header().Set("Content-Type", "text/javascript")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, reloadScript)
		return
	case "/_dev/events":
		d.reload.serve(w, r)
		return
	}
	var target *url.URL
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		d.mu.Lock()
		target = d.target
		d.mu.Unlock()
		if target != nil || r.Context().Err() != nil {
			break
		}
	}
	if target == nil {
		http.Error(w, "the blog is not running (see the dev log)", http.StatusBadGateway)
		return
	}
	p := httputil.NewSingleHostReverseProxy(target)
	p.FlushInterval = -1 // event streams pass through as they come
	p.Director = func(req *http.Request) {
		req.URL.Scheme, req.URL.Host = target.Scheme, target.Host
		req.Header.Set("Accept-Encoding", "identity") // pages come uncompressed, so the script can be added
		req.Header.Del("If-None-Match")
	}
	p.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		body = bytes.Replace(body, []byte("</head>"), []byte(`<script src="/_dev/reload.js" defer></script></head>`), 1)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
		resp.Header.Del("ETag")
		resp.Header.Set("Cache-Control", "no-store")
		return nil
	}
	p.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
		if !errors.Is(err, context.Canceled) {
			http.Error(w, "the blog is restarting: "+err.Error(), http.StatusBadGateway)
		}
	}
	p.ServeHTTP(w, r)
}

// broadcast tells every open page to reload.
type broadcast struct {
	mu   sync.Mutex
	subs map[chan struct{}]bool
}

func newBroadcast() *broadcast { return &broadcast{subs: map[chan struct{}]bool{}} }

func (b *broadcast) send() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (b *broadcast) serve(w http.ResponseWriter, r *http.Request) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	b.subs[ch] = true
	b.mu.Unlock()
	defer func() { b.mu.Lock(); delete(b.subs, ch); b.mu.Unlock() }()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	io.WriteString(w, "retry: 500\n\n")
	w.(http.Flusher).Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ch:
			io.WriteString(w, "event: reload\ndata: changed\n\n")
			w.(http.Flusher).Flush()
		}
	}
}

// quiet passes on a tool's output but its routine progress lines.
type quiet struct{ w io.Writer }

func (q *quiet) Write(p []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(p), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "Rebuilding") || strings.HasPrefix(t, "Done in") || strings.Contains(t, "Browserslist") {
			continue
		}
		io.WriteString(q.w, line)
	}
	return len(p), nil
}
