package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"blog/cmd/web/config"
	"blog/database/backups"
	"blog/database/schema"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/posts"
)

// syncBuffer collects the server's log safely while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// serving holds the addresses of the servers startServer runs, until each is stopped.
var serving sync.Map

// startServer runs the real program on a free port until the test ends, and waits until it answers.
func startServer(t *testing.T, env map[string]string) (base string, stop func() error) {
	t.Helper()
	addr := env["ADDR"] // a test that restarts a server at the same address names it
	if addr == "" {
		addr = freeAddr(t)
	}
	env["ADDR"] = addr
	// A second server at an address one of this process's servers still holds would fail to listen while the
	// first answered its health check for it: the test would talk to one instance thinking it had two.
	if _, held := serving.LoadOrStore(addr, true); held {
		t.Fatalf("a server started by this test process still serves %s: give each server an env of its own (startServer sets env[\"ADDR\"])", addr)
	}
	if _, set := env["SPAM_MIN_SECONDS"]; !set {
		env["SPAM_MIN_SECONDS"] = "0" // test clients post as soon as the page has loaded
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, nil, envFunc(env), strings.NewReader(""), io.Discard, logs) }()
	base = "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-errc:
			cancel()
			t.Fatalf("server exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-errc:
			case <-time.After(15 * time.Second):
				runErr = fmt.Errorf("server did not stop within 15s")
			}
			serving.Delete(addr)
		})
		return runErr
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("the server's warnings and errors:\n%s", notable(logs.String(), 40))
		}
	})
	return base, stop
}

// notable returns the last n warning and error lines of a server's log.
func notable(log string, n int) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	return strings.Join(out[max(0, len(out)-n):], "\n")
}

// okBody fetches a page that must answer 200 and returns its body.
func okBody(t *testing.T, u string) string {
	t.Helper()
	status, body := get(t, u)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", u, status)
	}
	return body
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWalkthrough starts the real program and walks home -> post -> comment, sees the comment arrive on an open
// stream, restarts the program and still sees the comment.
func TestWalkthrough(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	base, stop := startServer(t, env)

	status, home := get(t, base+"/")
	if status != 200 || !strings.Contains(home, `href="/posts/hello-world"`) {
		t.Fatalf("home: %d", status)
	}
	status, page := get(t, base+"/posts/hello-world")
	if status != 200 || !strings.Contains(page, `sse-connect="/posts/hello-world/events?after=0"`) {
		t.Fatalf("post: %d", status)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/posts/hello-world/events?after=0", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 64<<10)
		var all strings.Builder
		for {
			n, err := stream.Body.Read(buf)
			all.Write(buf[:n])
			if strings.Contains(all.String(), "Walked through") {
				got <- all.String()
				return
			}
			if err != nil {
				return
			}
		}
	}()
	// No wait for the stream to subscribe: Do returned with the headers, which the server writes after subscribing
	// (and after=0 would replay the comment anyway).

	resp := newVisitor(t).comment(t, base, "hello-world", "Walker", "walker@example.com", "Walked through")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: status %d", resp.StatusCode)
	}
	select {
	case ev := <-got:
		if !strings.Contains(ev, "event: change") {
			t.Fatalf("stream: %q", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("comment did not arrive on the open stream")
	}
	cancel()
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	base, _ = startServer(t, env)
	if page := okBody(t, base+"/posts/hello-world"); !strings.Contains(page, "Walked through") {
		t.Fatal("comment gone after restart")
	}
	if home := okBody(t, base+"/"); !strings.Contains(home, "1 comment") {
		t.Fatal("home count not updated after restart")
	}
}

// TestMigrateCommands walks the schema up, and down to zero: status needs an existing database, a rollback that
// destroys data refuses without --force, and with --force writes a backup first.
func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	urls := map[string]func(testing.TB) string{"sqlite": dbtest.SQLiteURL, "postgres": dbtest.PostgresURL}
	for name, mk := range urls {
		t.Run(name, func(t *testing.T) {
			dbURL := mk(t)
			env := envFunc(map[string]string{"DATABASE_URL": dbURL})
			cli := func(args ...string) (string, error) {
				t.Helper()
				if len(args) > 1 && args[0] == "migrate" && args[1] == "down" {
					// It needs the database to itself: the connections this test's last look used must be gone
					// from the server first, not only closed here.
					dbtest.WaitAlone(t, dbURL)
				}
				var out bytes.Buffer
				err := run(context.Background(), args, env, strings.NewReader(""), &out, io.Discard)
				return out.String(), err
			}
			must := func(args ...string) string {
				t.Helper()
				out, err := cli(args...)
				if err != nil {
					t.Fatalf("web %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return out
			}
			known := len(schema.Known())
			if name == "sqlite" {
				if _, err := cli("migrate", "status"); err == nil || !strings.Contains(err.Error(), "no database") {
					t.Fatalf("status without a database: %v; want a refusal, not a new file", err)
				}
			}
			if up := must("migrate", "up"); strings.Count(up, "applied") != known {
				t.Fatalf("up:\n%s", up)
			}
			if st := must("migrate", "status"); strings.Count(st, "applied") != known {
				t.Fatalf("status:\n%s", st)
			}
			if up := must("migrate", "up"); !strings.Contains(up, "up to date") {
				t.Fatalf("second up:\n%s", up)
			}
			// One comment: rolling back the tables that hold it must be forced.
			db := dbtest.Open(t, dbURL, false)
			ids, _ := posts.NewPosts(db).SyncPosts(context.Background(), []posts.PostRef{{Slug: "p", Title: "P"}})
			if _, _, err := discussion.NewComments(db).CreateComment(context.Background(), repo.NewComment{PostID: ids["p"],
				Input: repo.CommentInput{Username: "A", Email: "a@b.co", Body: "keep me"}}); err != nil {
				t.Fatal(err)
			}
			db.Close()
			// Down to the newest step whose rollback drops data of the comments table (newer ones are forced
			// down first): refused without --force, and nothing changes; forced, it writes a backup first.
			applied := known
			for ; applied > 0; applied-- {
				if losesComments(t, dbURL) {
					break
				}
				out := must("migrate", "down", "--force")
				if m := regexp.MustCompile(`backup written to (\S+)`).FindStringSubmatch(out); m != nil && name != "sqlite" {
					os.RemoveAll(m[1])
				}
			}
			out, err := cli("migrate", "down")
			if err == nil || !strings.Contains(out, "row(s)") || !strings.Contains(err.Error(), "--force") {
				t.Fatalf("down over data without --force: %v\n%s", err, out)
			}
			if st := must("migrate", "status"); strings.Count(st, "applied") != applied {
				t.Fatalf("a refused rollback changed the schema:\n%s", st)
			}
			newest := schema.Known()[applied-1]
			out = must("migrate", "down", "--force")
			m := regexp.MustCompile(`backup written to (\S+)`).FindStringSubmatch(out)
			if m == nil || !strings.Contains(out, fmt.Sprintf("rolled back %d %s", newest.Version, newest.Name)) {
				t.Fatalf("forced down:\n%s", out)
			}
			if name == "sqlite" {
				if snap, err := backups.InspectSnapshot(context.Background(), m[1]); err != nil || snap.Comments != 1 {
					t.Fatalf("backup %s: %+v, %v", m[1], snap, err)
				}
			} else {
				b, err := os.ReadFile(filepath.Join(m[1], "comments.csv"))
				os.RemoveAll(m[1])
				rows, cerr := csv.NewReader(bytes.NewReader(b)).ReadAll()
				if err != nil || cerr != nil || len(rows) != 2 || !strings.Contains(string(b), "keep me") {
					t.Fatalf("exported comments: %q, %v %v", b, err, cerr)
				}
			}
			if st := must("migrate", "status"); strings.Count(st, "applied") != applied-1 || !strings.Contains(st, fmt.Sprintf("pending  %d", newest.Version)) {
				t.Fatalf("status after down:\n%s", st)
			}
			for range applied - 1 {
				out := must("migrate", "down", "--force")
				if m := regexp.MustCompile(`backup written to (\S+)`).FindStringSubmatch(out); m != nil && name != "sqlite" {
					os.RemoveAll(m[1])
				}
			}
			if down := must("migrate", "down"); !strings.Contains(down, "nothing to roll back") {
				t.Fatalf("down at zero:\n%s", down)
			}
			must("migrate", "up")
		})
	}
}

// losesComments reports whether rolling back the newest applied step drops data of the comments table.
func losesComments(t *testing.T, dbURL string) bool {
	t.Helper()
	db := dbtest.Open(t, dbURL, false)
	defer db.Close()
	_, losses, _, err := schema.DownPlan(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range losses {
		if l.Table == "comments" {
			return true
		}
	}
	return false
}

func TestCommandErrors(t *testing.T) {
	dbURL := dbtest.SQLiteURL(t)
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{"migrate without step", []string{"migrate"}, nil, "usage: web migrate up"},
		{"unknown database scheme", []string{"migrate", "up"}, map[string]string{"DATABASE_URL": "mysql://root@localhost/blog"}, `unknown scheme "mysql:"`},
		{"comments on a missing database", []string{"comments", "list"}, map[string]string{"DATABASE_URL": "sqlite:" + t.TempDir() + "/none.db"}, "no database there"},
		{"unknown migrate step", []string{"migrate", "sideways"}, nil, `unknown migrate command "sideways"`},
		{"bad port", nil, map[string]string{"PORT": "eighty"}, `PORT="eighty" is not a port number`},
		{"bad AUTO_MIGRATE", nil, map[string]string{"AUTO_MIGRATE": "maybe"}, "AUTO_MIGRATE"},
		{"pending migrations without auto-migrate", nil, map[string]string{"AUTO_MIGRATE": "false"}, fmt.Sprintf("%d migration(s) pending", len(schema.Known()))},
		{"bad content dir", nil, map[string]string{"CONTENT_DIR": t.TempDir() + "/missing"}, "is not a folder"},
		{"bad SITE_LANG", nil, map[string]string{"SITE_LANG": "english please"}, `SITE_LANG="english please" is not a language tag`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": dbURL, "ADDR": freeAddr(t)}
			for k, v := range tt.env {
				env[k] = v
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := run(ctx, tt.args, envFunc(env), strings.NewReader(""), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestHelpListsEveryVariable records the variables the program actually reads while loading its configuration
// and checks that --help and the README describe each of them, and that they describe nothing it does not read.
func TestHelpListsEveryVariable(t *testing.T) {
	read := map[string]bool{}
	if _, err := config.Load(func(name string) string { read[name] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, envFunc(nil), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range read {
		if !regexp.MustCompile(`(?m)^  ` + name + ` `).MatchString(out.String()) {
			t.Errorf("the program reads %s but --help does not describe it", name)
		}
		if !strings.Contains(string(readme), "| `"+name+"` |") {
			t.Errorf("the program reads %s but the README's configuration table does not describe it", name)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^  ([A-Z_]+) `).FindAllStringSubmatch(out.String(), -1) {
		if !read[m[1]] {
			t.Errorf("--help describes %s, which the program never reads", m[1])
		}
	}
	if len(read) < 20 {
		t.Fatalf("only %d variables read: is the recording working?", len(read))
	}
	for _, cmd := range []string{"migrate up", "migrate down", "migrate status", "comments list", "ban add", "owner password"} {
		if !strings.Contains(out.String(), cmd) {
			t.Errorf("--help does not mention %s", cmd)
		}
	}
}

// visitor is an HTTP client that keeps cookies and the CSRF token of the last page it read, like a browser.
type visitor struct {
	client *http.Client
	token  string
	// stamp is the comment form's signed timestamp, read from the last page like the token.
	stamp string
}

var stampField = regexp.MustCompile(`name="_t" value="([^"]+)"`)

func newVisitor(t *testing.T) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (v *visitor) get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := v.client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindSubmatch(b); m != nil {
		v.token = string(m[1])
	}
	if m := stampField.FindSubmatch(b); m != nil {
		v.stamp = string(m[1])
	}
	return resp.StatusCode, string(b)
}

// comment posts the comment form of a post as a plain form, after reading the post page.
func (v *visitor) comment(t *testing.T, base, slug, name, email, body string) *http.Response {
	t.Helper()
	v.get(t, base+"/posts/"+slug)
	resp, err := v.client.PostForm(base+"/posts/"+slug+"/comments",
		url.Values{"username": {name}, "email": {email}, "body": {body}, "_csrf": {v.token}, "_t": {v.stamp}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestRemovedPostKeepsComments: when a post's file goes away, the post is no longer served, and its comments stay
// in the database (they come back if the file does).
func TestRemovedPostKeepsComments(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "posts"), 0o755)
	file := filepath.Join(dir, "posts", "2026-01-01-temporary.md")
	os.WriteFile(file, []byte("---\ntitle: Temporary\ndate: 2026-01-01\n---\nHere for now."), 0o644)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "CONTENT_DIR": dir}
	base, stop := startServer(t, env)
	if resp := newVisitor(t).comment(t, base, "temporary", "Ann", "ann@example.com", "Keep me"); resp.StatusCode != 303 {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	stop()
	os.Remove(file)
	base, stop = startServer(t, env)
	if code, _ := get(t, base+"/posts/temporary"); code != 404 {
		t.Fatalf("removed post: status %d, want 404", code)
	}
	if home := okBody(t, base+"/"); strings.Contains(home, "Temporary") {
		t.Fatal("removed post still listed")
	}
	db := dbtest.Open(t, env["DATABASE_URL"], false)
	if n, _ := db.Repo().Count(context.Background(), "comments"); n != 1 {
		t.Fatalf("comments in the database: %d, want 1", n)
	}
	stop()
	os.WriteFile(file, []byte("---\ntitle: Temporary\ndate: 2026-01-01\n---\nBack again."), 0o644)
	base, _ = startServer(t, env)
	if page := okBody(t, base+"/posts/temporary"); !strings.Contains(page, "Keep me") {
		t.Fatal("comment not shown when the post came back")
	}
}
