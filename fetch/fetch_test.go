package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"93.184.215.14", true},
		{"2606:4700::1111", true},
		{"127.0.0.1", false},
		{"127.1.2.3", false},
		{"::1", false},
		{"10.0.0.1", false},
		{"172.16.5.4", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fd00::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"100.64.0.1", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"::ffff:127.0.0.1", false}, // IPv4 loopback written as IPv6
		{"::ffff:10.1.1.1", false},
		{"64:ff9b::a00:1", false}, // NAT64 of 10.0.0.1
		{"2002:7f00:1::", false},  // 6to4 of 127.0.0.1
	} {
		if got := Public(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Public(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

func TestRefusesLoopbackByDefault(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, err := New(Config{}).Get(context.Background(), srv.URL, "")
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("err = %v, want ErrForbiddenAddress", err)
	}
	// A name that resolves to loopback is refused at connect time too.
	_, err = New(Config{}).Get(context.Background(), strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), "")
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("localhost: err = %v, want ErrForbiddenAddress", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the server was reached %d times", n)
	}
	// The setting that tests turn on lets it through.
	resp, err := New(Config{AllowPrivate: true}).Get(context.Background(), srv.URL, "")
	if err != nil || resp.Status != 200 {
		t.Fatalf("AllowPrivate: %v %v", resp, err)
	}
}

func TestBounds(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("<p>spam</p>", 1000))
		for i := 0; i < 100000; i++ { // 1 GB if nobody stopped reading
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/announced", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "999999999")
		w.Write([]byte("x"))
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop?again", http.StatusFound)
	})
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release)

	c := New(Config{AllowPrivate: true, MaxBytes: 64 << 10, MaxRedirects: 3})
	ctx := context.Background()
	if _, err := c.Get(ctx, srv.URL+"/huge", ""); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge: %v", err)
	}
	if _, err := c.Get(ctx, srv.URL+"/announced", ""); !errors.Is(err, ErrTooLarge) {
		t.Errorf("announced: %v", err)
	}
	if _, err := c.Get(ctx, srv.URL+"/loop", ""); !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("loop: %v", err)
	}
	if _, err := c.Get(ctx, srv.URL+"/to-file", ""); !errors.Is(err, ErrBadURL) {
		t.Errorf("to-file: %v", err)
	}
	for _, bad := range []string{"file:///etc/passwd", "gopher://x", "/relative", "http://user:pw@example.com/", "http:///nohost"} {
		if _, err := c.Get(ctx, bad, ""); !errors.Is(err, ErrBadURL) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	// A server that never finishes its body is cut off by the client's own bound, not by the test.
	slow := New(Config{AllowPrivate: true, Timeout: 300 * time.Millisecond})
	start := time.Now()
	if _, err := slow.Get(ctx, srv.URL+"/hang", ""); err == nil {
		t.Errorf("hang: no error")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("hang took %v", d)
	}
}
