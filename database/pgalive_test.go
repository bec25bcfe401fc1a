package database

import (
	"net"
	"testing"
	"time"
)

// TestPeerSpokeBesideABlockedReader checks the look at an idle connection while another goroutine is blocked
// reading it, as pgx's background reader can be after a slow write: it must answer at once (it used to wait for
// that reader's lock, which an idle connection never frees, and hung the pool), and still tell silence from
// unread data.
func TestPeerSpokeBesideABlockedReader(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	read := make(chan struct{})
	go func() {
		var b [1]byte
		client.Read(b[:]) // blocked until the server sends
		close(read)
	}()
	// Look again and again for a while: the reader is surely blocked by the later looks.
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); time.Sleep(time.Millisecond) {
		looked := make(chan bool, 1)
		go func() { looked <- peerSpoke(client) }()
		select {
		case spoke := <-looked:
			if spoke {
				t.Fatal("a silent server reported as having spoken")
			}
		case <-time.After(30 * time.Second):
			t.Fatal("peerSpoke waited for the blocked reader")
		}
	}
	server.Write([]byte("x"))
	<-read

	// Data nobody has read yet is the server speaking.
	server.Write([]byte("FATAL"))
	deadline := time.Now().Add(5 * time.Second)
	for !peerSpoke(client) {
		if time.Now().After(deadline) {
			t.Fatal("unread data not seen")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
