package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"blog/internal/dbtest"
)

// TestSetupLinkNamesLocalhost checks the address the setup link is printed with: WebAuthn refuses numeric
// addresses, so a server listening on a loopback (or every) address prints localhost, and BASE_URL wins.
func TestSetupLinkNamesLocalhost(t *testing.T) {
	for _, tc := range []struct{ addr, base, want string }{
		{"127.0.0.1:8080", "", "http://localhost:8080"},
		{"127.0.0.2:8080", "", "http://localhost:8080"},
		{"[::1]:9000", "", "http://localhost:9000"},
		{"0.0.0.0:8080", "", "http://localhost:8080"},
		{"[::]:8080", "", "http://localhost:8080"},
		{":8080", "", "http://localhost:8080"},
		{"192.0.2.10:8080", "", "http://192.0.2.10:8080"},
		{"127.0.0.1:8080", "https://blog.example.com", "https://blog.example.com"},
	} {
		if got := setupBase(config{Addr: tc.addr, BaseURL: tc.base}); got != tc.want {
			t.Errorf("ADDR=%s BASE_URL=%q: setup link on %q, want %q", tc.addr, tc.base, got, tc.want)
		}
	}

	// The real program, listening on 127.0.0.1, logs the link on localhost; so does `web owner reset --force`.
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "ADDR": addr}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, nil, envFunc(env), strings.NewReader(""), io.Discard, logs) }()
	want := `setup_link="http://localhost:` + port + "/admin/setup?token="
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "setup_link=") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no setup link logged:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("server: %v", err)
	}
	if !strings.Contains(logs.String(), want) {
		t.Fatalf("setup link logged as\n%s\nwant %s...", notable(logs.String(), 5), want)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"owner", "reset", "--force"}, envFunc(env), strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("web owner reset: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "claim the blog again at http://localhost:"+port+"/admin/setup?token=") {
		t.Fatalf("web owner reset printed %q", out.String())
	}
}
