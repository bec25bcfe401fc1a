// Package letters measures posts by email: n confirmed subscribers imported with `web subscribers import`, a new
// post written into the content folder, and the time until its n mails are queued in the outbox (one
// transaction); then the mails sent to an SMTP sink at MAIL_PER_MINUTE, with the server stopped (SIGTERM) and
// started again a third of the way through, counting every recipient's copies: each must get exactly one.
package letters

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	_ "modernc.org/sqlite"

	"blog/cmd/bench/harness"
)

// Measure runs the scenario with n subscribers and the given MAIL_PER_MINUTE.
func Measure(binary string, n, perMinute int) ([]harness.Row, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "blog-bench-letters-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	sink, err := startSink()
	if err != nil {
		return nil, err
	}
	defer sink.close()
	dbPath := filepath.Join(dir, "bench.db")
	env := append(os.Environ(), "DATABASE_URL=sqlite:"+dbPath, "CONTENT_DIR="+filepath.Join(dir, "content"))
	if out, err := command(binary, env, "migrate", "up"); err != nil {
		return nil, fmt.Errorf("migrate: %v\n%s", err, out)
	}
	csvPath := filepath.Join(dir, "subscribers.csv")
	var b strings.Builder
	b.WriteString("email,status,created_at\n")
	for i := range n {
		fmt.Fprintf(&b, "reader%d@example.com,confirmed,2026-01-01T00:00:00Z\n", i)
	}
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	start := time.Now()
	if out, err := command(binary, env, "subscribers", "import", csvPath); err != nil {
		return nil, fmt.Errorf("import: %v\n%s", err, out)
	}
	importTook := time.Since(start)
	mailEnv := []string{"SMTP_URL=smtp://" + sink.addr, "MAIL_FROM=blog@example.com", fmt.Sprintf("MAIL_PER_MINUTE=%d", perMinute),
		"NEWSLETTER=full", "BASE_URL=https://blog.example"}
	srv, err := harness.StartServer(ctx, binary, dir, mailEnv...)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		srv.Stop()
		return nil, err
	}
	defer db.Close()
	// The post, with code and a picture, as a writer would publish it.
	day := time.Now().UTC().Format("2006-01-02")
	post := "---\ntitle: A post by email\ndate: " + day + "\nsummary: The bench's post.\n---\n\n" +
		strings.Repeat("A paragraph of the post, with *emphasis* and a [link](/about).\n\n", 20) +
		"```go\nfunc main() {\n\tfmt.Println(\"hello\")\n}\n```\n"
	published := time.Now()
	if err := os.WriteFile(filepath.Join(dir, "content", "posts", day+"-by-email.md"), []byte(post), 0o644); err != nil {
		srv.Stop()
		return nil, err
	}
	var queued time.Duration
	for {
		var c int
		db.QueryRow("SELECT COUNT(*) FROM outbox WHERE topic = 'newsletter'").Scan(&c)
		if c >= n {
			queued = time.Since(published)
			break
		}
		if time.Since(published) > 60*time.Second {
			srv.Stop()
			return nil, fmt.Errorf("%d of %d mails queued after 60 s", c, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Sending, with a restart a third of the way through.
	sendStart := time.Now()
	restarted := false
	deadline := sendStart.Add(time.Duration(float64(n)/float64(perMinute)*float64(time.Minute))*3 + 60*time.Second)
	for sink.total() < n {
		if !restarted && sink.total() >= n/3 {
			srv.Stop()
			if srv, err = harness.StartServer(ctx, binary, dir, mailEnv...); err != nil {
				return nil, err
			}
			restarted = true
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	sent := time.Since(sendStart)
	// Anything sent twice would arrive soon after the last one: wait a little before counting.
	time.Sleep(2 * time.Second)
	srv.Stop()
	got, twice, missing := sink.count(n)
	var size int64
	if st, err := os.Stat(dbPath); err == nil {
		size = st.Size()
	}
	note := fmt.Sprintf("%d subscribers, SQLite, NEWSLETTER=full", n)
	return []harness.Row{
		{Name: "newsletter: subscribers imported (web subscribers import)", Value: importTook.Seconds(), Unit: "s", Note: note},
		{Name: "newsletter: post written to all mails queued", Value: queued.Seconds(), Unit: "s", Note: note + "; target < 10 s"},
		{Name: "newsletter: mails sent a minute", Value: float64(got) / sent.Minutes(), Unit: "/min",
			Note: fmt.Sprintf("MAIL_PER_MINUTE=%d, restarted (SIGTERM) after %d; %d received in %.1f s", perMinute, n/3, got, sent.Seconds())},
		{Name: "newsletter: recipients mailed twice", Value: float64(twice), Unit: "", Note: "target 0"},
		{Name: "newsletter: recipients not mailed", Value: float64(missing), Unit: "", Note: "target 0"},
		{Name: "newsletter: database file after", Value: float64(size) / (1 << 20), Unit: "MiB", Note: note},
	}, nil
}

func command(binary string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	return cmd.CombinedOutput()
}

// sink is an SMTP server that counts the messages each recipient gets.
type sink struct {
	addr string
	srv  *smtp.Server
	mu   sync.Mutex
	got  map[string]int
	n    int
}

func startSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{addr: ln.Addr().String(), got: map[string]int{}}
	s.srv = smtp.NewServer(s)
	s.srv.AllowInsecureAuth = true
	s.srv.Domain = "localhost"
	go s.srv.Serve(ln)
	return s, nil
}

func (s *sink) close() { s.srv.Close() }

func (s *sink) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// count returns how many of reader0..reader(n-1) got a message, how many got more than one, and how many none.
func (s *sink) count(n int) (got, twice, missing int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range n {
		switch c := s.got[fmt.Sprintf("reader%d@example.com", i)]; {
		case c == 0:
			missing++
		case c > 1:
			twice++
			got++
		default:
			got++
		}
	}
	return got, twice, missing
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct {
	s  *sink
	to []string
}

func (x *sinkSession) Reset()                                    { x.to = nil }
func (x *sinkSession) Logout() error                             { return nil }
func (x *sinkSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (x *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error { x.to = append(x.to, to); return nil }
func (x *sinkSession) Data(r io.Reader) error {
	io.Copy(io.Discard, r)
	x.s.mu.Lock()
	for _, to := range x.to {
		x.s.got[strings.ToLower(to)]++
		x.s.n++
	}
	x.s.mu.Unlock()
	return nil
}
