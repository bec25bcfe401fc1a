package sse

import (
	"context"
	"net"
	"testing"
	"time"
)

// pairs returns n connected TCP pairs: the server's ends and the client's.
func pairs(t *testing.T, n int) (servers, clients []net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		servers, clients = append(servers, s), append(clients, c)
		t.Cleanup(func() { s.Close(); c.Close() })
	}
	return servers, clients
}

func closedWithin(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// Clients that leave are reported, each once, and only they: one that sends something and stays is not.
func TestReaperReportsExactlyTheClientsThatLeft(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := NewReaper()
	go r.Run(ctx)
	servers, clients := pairs(t, 301)
	gone := make([]<-chan struct{}, len(servers))
	for i, s := range servers {
		gone[i], _ = r.Watch(s)
	}
	const marker = 300
	for i, c := range clients[:marker] {
		if i%2 == 0 {
			c.Close()
		} else {
			c.Write([]byte("GET / HTTP/1.1\r\n\r\n")) // data is not a hang-up
		}
	}
	for i := range marker {
		if i%2 == 0 && !closedWithin(gone[i], 5*time.Second) {
			t.Fatalf("stream %d: its client closed, not reported within 5 s", i)
		}
	}
	// A client that leaves last: once it is reported, whatever the kernel said before it has been handled.
	clients[marker].Close()
	if !closedWithin(gone[marker], 5*time.Second) {
		t.Fatal("the last client to leave was not reported within 5 s")
	}
	for i := range marker {
		if i%2 == 1 && closedWithin(gone[i], 0) {
			t.Fatalf("stream %d reported gone while its client is still connected", i)
		}
	}
	// A client that resets its connection is gone too.
	clients[1].(*net.TCPConn).SetLinger(0)
	clients[1].Close()
	if !closedWithin(gone[1], 5*time.Second) {
		t.Fatal("a reset connection was not reported")
	}
}

// A stream that stopped being watched is never reported, even when a new connection gets its socket's number.
func TestReaperForgetsStoppedStreams(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := NewReaper()
	go r.Run(ctx)
	servers, clients := pairs(t, 1)
	oldFD := fd(t, servers[0])
	old, stop := r.Watch(servers[0])
	stop()
	servers[0].Close()
	clients[0].Close()
	servers, clients = pairs(t, 1)
	if n := fd(t, servers[0]); n != oldFD {
		t.Logf("the new connection got descriptor %d, not %d: reuse not exercised this time", n, oldFD)
	}
	fresh, _ := r.Watch(servers[0])
	// Another client leaves after the old one did: once it is reported, a report of the old one would have been.
	markers, markerClients := pairs(t, 1)
	marker, _ := r.Watch(markers[0])
	markerClients[0].Close()
	if !closedWithin(marker, 5*time.Second) {
		t.Fatal("a client that left was not reported within 5 s")
	}
	if closedWithin(old, 0) || closedWithin(fresh, 0) {
		t.Fatal("a stopped or live stream was reported gone")
	}
	clients[0].Close()
	if !closedWithin(fresh, 5*time.Second) {
		t.Fatal("the live stream's client left, not reported")
	}
	if closedWithin(old, 0) {
		t.Fatal("the stopped stream was reported when the connection that got its descriptor ended")
	}
}

// fd is the socket's descriptor number.
func fd(t *testing.T, c net.Conn) int {
	t.Helper()
	raw, err := rawConn(c)
	if err != nil {
		t.Fatal(err)
	}
	n := -1
	raw.Control(func(f uintptr) { n = int(f) })
	return n
}

// Once the reaper stops, watching still works (nothing is reported) and nothing panics.
func TestReaperAfterStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := NewReaper()
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	servers, clients := pairs(t, 1)
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	gone, stop := r.Watch(servers[0])
	clients[0].Close()
	// Only Run reports, and it has returned: no wait can make this come true later.
	if closedWithin(gone, 0) {
		t.Fatal("reported by a stopped reaper")
	}
	stop()
}
