package main

import (
	"context"
	"database/sql"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"blog/database/schema"
	"blog/internal/browsertest"
	"blog/internal/dbtest"
)

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
)

// buildFlags are the Makefile's for `make build` (its build target and BUILD_TAGS): net/http without its bundled
// HTTP/2, no file paths of this machine, no symbol table or debug information.
var buildFlags = []string{"-tags", "nethttpomithttp2", "-trimpath", "-ldflags=-s -w"}

// binary builds the real program once per test run, statically, as `make build` does.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "blog-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtPath = filepath.Join(dir, "web")
		cmd := exec.Command("go", append(append([]string{"build"}, buildFlags...), "-o", builtPath, ".")...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = err
			t.Log(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return builtPath
}

// proc is the blog running as its own process.
type proc struct {
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
	exit chan error
}

func startProc(t *testing.T, env map[string]string) *proc {
	t.Helper()
	return startProcWith(t, env, nil)
}

// startProcWith starts the program behind a command prefix (for example prlimit, to run it with fewer file
// descriptors).
func startProcWith(t *testing.T, env map[string]string, prefix []string) *proc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary(t))
	if len(prefix) > 0 {
		cmd = exec.Command(prefix[0], append(prefix[1:], binary(t))...)
	}
	cmd.Env = []string{"ADDR=" + addr, "PATH=" + os.Getenv("PATH"), "SPAM_MIN_SECONDS=0"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{cmd: cmd, base: "http://" + addr, logs: &syncBuffer{}, exit: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exit <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(p.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.exit:
			t.Fatalf("process exited: %v\n%s", err, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("process not ready\n%s", p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCrashLosesNothingAcknowledged kills the server with SIGKILL in the middle of a load and starts it again:
// every comment whose POST was answered with success is there, the database is intact, and streams work.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped with -short")
	}
	dbURL := dbtest.SQLiteURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "RATE_LIMIT": "off", "MAX_CONNS_PER_CLIENT": "10000"}
	p := startProc(t, env)
	slugs := []string{"hello-world", "writing-posts"}
	stop := make(chan struct{})
	resc := make(chan loadResult)
	go func() { resc <- postLoad(t, p.base, slugs, 16, 1_000_000, stop) }()
	// The kill comes in the middle of the load: once a post shows 100 comments, writes are in full flow.
	deadline := time.Now().Add(60 * time.Second)
	for commentsOn(t, p.base, "hello-world") < 100 {
		if time.Now().After(deadline) {
			t.Fatalf("the load stored only %d comments on hello-world in 60 s", commentsOn(t, p.base, "hello-world"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exit
	time.Sleep(200 * time.Millisecond)
	close(stop)
	res := <-resc
	if len(res.accepted) == 0 {
		t.Fatal("no comment was accepted before the kill")
	}
	t.Logf("acknowledged before SIGKILL: %d; statuses %v", len(res.accepted), res.statuses)
	for code := range res.statuses {
		if code >= 500 {
			t.Errorf("%d answers with status %d", res.statuses[code], code)
		}
	}

	db, err := sql.Open("sqlite", strings.TrimPrefix(dbURL, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q (%v)", check, err)
	}
	db.Close()

	p2 := startProc(t, env)
	store := dbtest.Open(t, dbURL, false)
	ids := map[int64]bool{}
	rows, err := store.SQL().Query("SELECT id FROM comments")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids[id] = true
	}
	rows.Close()
	for id := range res.accepted {
		if !ids[id] {
			t.Fatalf("comment %d was acknowledged but is gone after the crash", id)
		}
	}
	ec := openCounter(t, p2.base, "hello-world")
	ec.waitOpen(t)
	resp := newVisitor(t).comment(t, p2.base, "hello-world", "After", "after@example.com", "after the crash")
	m := commentID.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != 303 || m == nil {
		t.Fatalf("post after restart: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	deadline = time.Now().Add(10 * time.Second)
	for !ec.has(id) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !ec.has(id) {
		t.Fatal("streams do not resume after the restart: the new comment did not reach an open stream")
	}
}

var commentCount = regexp.MustCompile(`>(\d+) comments?<`)

// commentsOn returns the number of comments a post's page says it has.
func commentsOn(t *testing.T, base, slug string) int {
	t.Helper()
	m := commentCount.FindStringSubmatch(okBody(t, base+"/posts/"+slug))
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestSIGTERMShutsDownGracefully: open streams are closed, the process exits 0 within a few seconds, and the
// database is left clean.
func TestSIGTERMShutsDownGracefully(t *testing.T) {
	dbURL := dbtest.SQLiteURL(t)
	p := startProc(t, map[string]string{"DATABASE_URL": dbURL})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/posts/hello-world/events?after=0", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() { io.Copy(io.Discard, stream.Body); close(ended) }()
	// Idle connections (one that has sent nothing yet, one kept alive after a request) must not hold the
	// shutdown up: they carry no request.
	fresh, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	keptAlive := &http.Client{Transport: &http.Transport{}}
	if resp, err := keptAlive.Get(p.base + "/healthz"); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	serverAccepted(t, fresh) // an idle connection the server holds, not one still in the listener's queue

	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exit:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM\n%s", p.logs.String())
	}
	t.Logf("exited 0 after %v with a stream and two idle connections open", time.Since(start).Round(time.Millisecond))
	// Held up, the shutdown would have waited out its 5 s and said so; how long it took is no measure on a busy
	// machine.
	if logs := p.logs.String(); strings.Contains(logs, "msg=shutdown ") || strings.Contains(logs, `"msg":"shutdown"`) {
		t.Errorf("the shutdown waited out its timeout: idle connections held it up\n%s", logs)
	}
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("open stream not closed by the shutdown")
	}
	if !strings.Contains(p.logs.String(), "shutting down") {
		t.Errorf("no shutdown in the log:\n%s", p.logs.String())
	}
	if _, err := os.Stat(strings.TrimPrefix(dbURL, "sqlite:") + "-wal"); err == nil {
		t.Log("WAL file left behind (harmless; SQLite replays it)")
	}
}

// TestRestartUpgradesOlderDatabase: a database a version behind is migrated at start; one from a newer release
// is refused with a clear message.
func TestRestartUpgradesOlderDatabase(t *testing.T) {
	ctx := context.Background()
	dbURL := dbtest.SQLiteURL(t)
	db := dbtest.Open(t, dbURL, true)
	if err := schema.Down(ctx, db); err != nil {
		t.Fatal(err)
	}
	if pending, _ := schema.Pending(ctx, db); len(pending) != 1 {
		t.Fatalf("pending = %v, want one", pending)
	}
	p := startProc(t, map[string]string{"DATABASE_URL": dbURL})
	if pending, _ := schema.Pending(ctx, db); len(pending) != 0 {
		t.Fatalf("after start, pending = %v", pending)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exit

	if _, err := db.SQL().Exec(`INSERT INTO rel_schema_versions (version, created_at, updated_at) VALUES (29990101000000, '2026-01-01', '2026-01-01')`); err != nil {
		t.Fatal(err)
	}
	err := run(ctx, nil, envFunc(map[string]string{"DATABASE_URL": dbURL, "ADDR": freeAddr(t)}), strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "newer than this program") {
		t.Fatalf("err = %v, want a refusal of the newer database", err)
	}
}

// TestMain runs the tests with one Chromium for all the browser tests, and removes the program built for the
// tests once they have all run.
func TestMain(m *testing.M) {
	code := browsertest.Main(m)
	if builtPath != "" {
		os.RemoveAll(filepath.Dir(builtPath))
	}
	os.Exit(code)
}

// TestClientResetIsNotAnError: a client that resets its connection halfway through a request (a header cut
// short, a body shorter than it announced) is no failure of the blog's: it is logged at debug level, never as
// "request failed", so an operator watching for errors is not woken by other people's networks.
func TestClientResetIsNotAnError(t *testing.T) {
	p := startProc(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "LOG_LEVEL": "debug"})
	addr := strings.TrimPrefix(p.base, "http://")
	for i, half := range []string{
		"GET / HTTP/1.1\r\nHost: blog.test\r\n",
		"POST /posts/hello-world/comments HTTP/1.1\r\nHost: blog.test\r\nContent-Length: 100\r\n\r\nname=Ada",
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(half)); err != nil {
			t.Fatal(err)
		}
		// A reset (RST), not a close: the server's read fails instead of seeing the end of the stream.
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
		deadline := time.Now().Add(60 * time.Second)
		for strings.Count(p.logs.String(), "connection failed while its request was read") < i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("reset %d never reached the server's log:\n%s", i+1, p.logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if strings.Contains(p.logs.String(), "request failed") || strings.Contains(p.logs.String(), "level=ERROR") {
		t.Errorf("a client's reset was logged as an error:\n%s", p.logs.String())
	}
}

// TestOrdinaryBuildHasNoProfiler: the binary make build makes leaves Go's profiler out, and PPROF_ADDR set on it
// says so instead of listening; the blog serves as usual.
func TestOrdinaryBuildHasNoProfiler(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-tags", "nethttpomithttp2", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "net/http/pprof" || pkg == "runtime/pprof" {
			t.Errorf("the ordinary build links %s", pkg)
		}
	}
	pprofAddr := freeAddr(t)
	p := startProc(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "PPROF_ADDR": pprofAddr})
	okBody(t, p.base+"/")
	if !strings.Contains(p.logs.String(), "this build has no profiler") {
		t.Errorf("no word about the missing profiler:\n%s", p.logs.String())
	}
	if resp, err := http.Get("http://" + pprofAddr + "/debug/pprof/"); err == nil {
		resp.Body.Close()
		t.Errorf("something answered at PPROF_ADDR: %d", resp.StatusCode)
	}
}
