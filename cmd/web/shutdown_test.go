package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
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
	// A full request answered after them; and the server has read what they sent (were it not to, they would
	// count as connections that sent nothing, which were never waited for).
	resp, err := http.Get(p.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	serverRead(t, halfLine)
	serverRead(t, halfBody)

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

// serverRead waits until the server has read everything the client sent on c: the server's end of the
// connection has nothing left in its receive queue (/proc/net/tcp, which lists both ends).
func serverRead(t *testing.T, c net.Conn) {
	t.Helper()
	serverEnd(t, c, "read what was sent", func(queued, inode string) bool { return strings.Trim(queued, "0") == "" })
}

// serverAccepted waits until the server has accepted c: its end of the connection has a socket of its own (in
// the listener's queue it has none: inode 0).
func serverAccepted(t *testing.T, c net.Conn) {
	t.Helper()
	serverEnd(t, c, "accepted the connection", func(queued, inode string) bool { return inode != "0" })
}

// serverEnd waits, up to 30 s, until the server's end of c, as /proc/net/tcp lists it, passes ok (its
// receive queue in hex, its inode).
func serverEnd(t *testing.T, c net.Conn, what string, ok func(queued, inode string) bool) {
	t.Helper()
	hexAddr := func(a net.Addr) string {
		ap := a.(*net.TCPAddr).AddrPort()
		ip := ap.Addr().As4()
		return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ap.Port())
	}
	local, remote := hexAddr(c.RemoteAddr()), hexAddr(c.LocalAddr()) // the server's end
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile("/proc/net/tcp")
		if err != nil {
			t.Skipf("cannot see the server's end of a connection: %v", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 9 && f[1] == local && f[2] == remote {
				_, queued, _ := strings.Cut(f[4], ":")
				if ok(queued, f[9]) {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server has not %s within 30 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
