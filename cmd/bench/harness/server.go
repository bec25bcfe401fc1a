// Package harness is what the benchmark's scenarios share: the blog's binary started on a temporary database as
// an operator would start it, the control server (plain net/http serving the blog's own bytes and events),
// browser-like clients (a visitor with its cookies and form token, the signed-in owner), comments that read like
// real ones, bounded load loops with their medians and percentiles, a process's memory and CPU, and the result
// rows with their table and JSON. Everything it starts listens on 127.0.0.1 only.
package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is one running blog process.
type Server struct {
	Cmd       *exec.Cmd
	Base      string
	DBPath    string
	ColdStart time.Duration
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// StartServer runs the binary like an operator would and waits for its first page.
func StartServer(ctx context.Context, binary, dir string, extraEnv ...string) (*Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dbPath := filepath.Join(dir, "bench.db")
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = append(os.Environ(), "ADDR="+addr, "DATABASE_URL=sqlite:"+dbPath, "CONTENT_DIR="+filepath.Join(dir, "content"),
		"LOG_LEVEL=error", "RATE_LIMIT=off", "SPAM_MIN_SECONDS=0", "MAX_CONNS_PER_CLIENT=100000", "MAX_STREAMS_PER_CLIENT=100000", "PPROF_ADDR="+os.Getenv("BENCH_PPROF_ADDR")) // a make build-pprof binary serves it
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{Cmd: cmd, Base: "http://" + addr, DBPath: dbPath}
	for time.Since(start) < 30*time.Second {
		resp, err := http.Get(s.Base + "/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				s.ColdStart = time.Since(start)
				return s, nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("server did not serve its home page within 30s")
}

// Stop asks the server to shut down and kills it when it has not stopped within 10 s.
func (s *Server) Stop() {
	s.Cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.Cmd.Process.Kill()
	}
}

// WriteContent writes the benchmark's content folder: the posts zero, hundred and thousand, and an about page.
func WriteContent(dir string) error {
	for _, d := range []string{"posts", "pages"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	body := strings.Repeat("A paragraph of text about something worth reading, with *emphasis* and `code`.\n\n", 30)
	for i, slug := range []string{"zero", "hundred", "thousand"} {
		src := fmt.Sprintf("---\ntitle: Post %s\ndate: 2026-11-%02d\nsummary: A post with %s comments.\n---\n\n%s", slug, i+1, slug, body)
		if err := os.WriteFile(filepath.Join(dir, "posts", fmt.Sprintf("2026-11-%02d-%s.md", i+1, slug)), []byte(src), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "pages", "about.md"), []byte("---\ntitle: About\n---\nAbout."), 0o644)
}

// RSSMiB reads a process's resident memory.
func RSSMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// CPUSeconds is the CPU time (user and system) a process has used so far.
func CPUSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces) in parentheses; utime and stime are the 14th
	// and 15th of the whole line, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}
