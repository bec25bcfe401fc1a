//go:build !linux

package sse

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// Reaper notices event streams whose client has gone (closed its end) without waiting for a write to fail. On
// systems other than Linux it peeks at every stream's socket once a second, without blocking and without reading
// anything, from one goroutine for all streams.
type Reaper struct {
	mu      sync.Mutex
	streams map[net.Conn]chan struct{}
}

// NewReaper returns a reaper; Run makes it work.
func NewReaper() *Reaper { return &Reaper{streams: map[net.Conn]chan struct{}{}} }

// Watch registers a stream's connection; gone is closed when its client has left. Call stop when the stream ends.
func (r *Reaper) Watch(conn net.Conn) (gone <-chan struct{}, stop func()) {
	ch := make(chan struct{})
	r.mu.Lock()
	r.streams[conn] = ch
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		delete(r.streams, conn)
		r.mu.Unlock()
	}
}

// Run checks every watched connection once a second until ctx ends.
func (r *Reaper) Run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var conns []net.Conn
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		conns = conns[:0]
		r.mu.Lock()
		for c := range r.streams {
			conns = append(conns, c)
		}
		r.mu.Unlock()
		for _, c := range conns {
			if peerClosed(c) {
				r.mu.Lock()
				if ch, ok := r.streams[c]; ok {
					close(ch)
					delete(r.streams, c)
				}
				r.mu.Unlock()
			}
		}
	}
}

// peerClosed reports whether the client closed the connection (or it failed): a non-blocking peek that reads
// end-of-file or an error other than "nothing to read yet".
func peerClosed(c net.Conn) bool {
	raw, err := rawConn(c)
	if err != nil {
		return false
	}
	closed := false
	var buf [1]byte
	err = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil && n == 0:
			closed = true
		case err != nil && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR):
			closed = true
		}
		return true // never wait for readiness
	})
	return closed || (err != nil && !errors.Is(err, errors.ErrUnsupported))
}
