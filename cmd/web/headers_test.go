package main

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"

	"blog/headers"
	"blog/internal/dbtest"
)

// TestRefusedBodyCarriesSecurityHeaders: a body refused from its Content-Length (413, answered by fasthttp before
// any handler runs) carries the same security headers as every other answer.
func TestRefusedBodyCarriesSecurityHeaders(t *testing.T) {
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	addr := strings.TrimPrefix(base, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("POST /posts/hello-world/comments HTTP/1.1\r\nHost: " + addr +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	n := 0
	headers.Set(func(k, want string) {
		n++
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	})
	if n < 5 {
		t.Fatalf("only %d security headers to check", n)
	}
}
