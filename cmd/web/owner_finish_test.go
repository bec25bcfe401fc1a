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

// TestSetupLinkNamesLocalhost checks that the real program, listening on 127.0.0.1, logs the setup link on
// localhost (WebAuthn refuses numeric addresses), and so does `web owner reset --force`; config's
// TestSetupBaseNamesLocalhost checks the addresses one by one.
func TestSetupLinkNamesLocalhost(t *testing.T) {
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
