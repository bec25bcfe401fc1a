package main

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"blog/internal/dbtest"
)

// TestSIGTERMDoesNotWaitForHalfSentRequests: a client that has sent part of a request and nothing more (half a
// request line; a POST's headers and half its body) does not hold the shutdown up: it used to wait the whole
// shutdown timeout (5 s) for them. A request sent in full is still answered.
func TestSIGTERMDoesNotWaitForHalfSentRequests(t *testing.T) {
	p := startProc(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	addr := strings.TrimPrefix(p.base, "http://")
	dial := func(send string) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Write([]byte(send)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	halfLine := dial("GET /posts/hello-wo")
	halfBody := dial("POST /posts/hello-world/comments HTTP/1.1\r\nHost: " + addr +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\nusername=Ann&em")
	// A full request answered after them; then a moment for the server to read what they sent (were it not to,
	// they would count as connections that sent nothing, which were never waited for).
	resp, err := http.Get(p.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	time.Sleep(100 * time.Millisecond)

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exit:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM\n%s", p.logs.String())
	}
	took := time.Since(start)
	t.Logf("stopped %v after SIGTERM with two half-sent requests open", took.Round(time.Millisecond))
	if took >= 4*time.Second {
		t.Errorf("the shutdown took %v: it waited for the half-sent requests", took)
	}
	// Each half-sent request's connection was ended (with a 408, or closed), not left open.
	for _, c := range []net.Conn{halfLine, halfBody} {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if line, err := bufio.NewReader(c).ReadString('\n'); err == nil && !strings.Contains(line, " 408 ") {
			t.Errorf("a half-sent request got %q", line)
		}
	}
}
