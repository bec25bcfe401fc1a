package sse

import (
	"context"
	"net"
	"os"
	"sync"
	"syscall"
)

// Reaper notices event streams whose client has gone (closed its end) without waiting for a write to fail. On
// Linux the kernel says so: every stream's socket joins one epoll set of the reaper's, which reports a peer's
// hang-up and never data, once per socket (EPOLLONESHOT), and one goroutine waits on that set through Go's own
// poller. An idle stream costs nothing until its client leaves; peeking at every socket once a second cost one
// system call per stream per second (10,000 a second with 10,000 streams open, 12% of the server's CPU while
// delivering to them).
type Reaper struct {
	ep *os.File // the epoll set; nil when it could not be made, and then streams are only ended by failed writes

	mu      sync.Mutex
	closed  bool
	next    uint64
	streams map[uint64]chan struct{} // by the token the epoll set reports
}

// NewReaper returns a reaper; Run makes it work.
func NewReaper() *Reaper {
	r := &Reaper{streams: map[uint64]chan struct{}{}}
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return r
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return r
	}
	r.ep = os.NewFile(uintptr(fd), "sse-reaper") // non-blocking: Go's poller tells when it has something to report
	return r
}

const hangUp = syscall.EPOLLRDHUP | syscall.EPOLLHUP | syscall.EPOLLERR | syscall.EPOLLONESHOT

// Watch registers a stream's connection; gone is closed when its client has left. Call stop when the stream ends,
// before closing the connection.
func (r *Reaper) Watch(conn net.Conn) (gone <-chan struct{}, stop func()) {
	ch := make(chan struct{})
	nothing := func() {}
	sock, err := rawConn(conn)
	if err != nil || r.ep == nil {
		return ch, nothing
	}
	ep, err := r.ep.SyscallConn()
	if err != nil {
		return ch, nothing
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ch, nothing
	}
	r.next++
	tok := r.next
	ev := syscall.EpollEvent{Events: hangUp, Fd: int32(uint32(tok)), Pad: int32(uint32(tok >> 32))}
	var added error
	cerr := ep.Control(func(epfd uintptr) {
		if err := sock.Control(func(fd uintptr) {
			added = syscall.EpollCtl(int(epfd), syscall.EPOLL_CTL_ADD, int(fd), &ev)
		}); err != nil {
			added = err
		}
	})
	if cerr != nil || added != nil {
		return ch, nothing
	}
	r.streams[tok] = ch
	// Closing the socket takes it out of the epoll set; a report already on its way finds no token.
	return ch, func() {
		r.mu.Lock()
		delete(r.streams, tok)
		r.mu.Unlock()
	}
}

// Run reports clients that left until ctx ends.
func (r *Reaper) Run(ctx context.Context) {
	if r.ep == nil {
		return
	}
	ep, err := r.ep.SyscallConn()
	if err != nil {
		return
	}
	var once sync.Once
	end := func() {
		once.Do(func() {
			r.mu.Lock()
			r.closed = true
			r.mu.Unlock()
			r.ep.Close() // ends the Read below
		})
	}
	defer end()
	defer context.AfterFunc(ctx, end)()
	events := make([]syscall.EpollEvent, 256)
	for {
		n := 0
		var waitErr error
		err := ep.Read(func(epfd uintptr) bool {
			n, waitErr = syscall.EpollWait(int(epfd), events, 0)
			if waitErr == syscall.EINTR {
				n, waitErr = 0, nil
			}
			return n > 0 || waitErr != nil
		})
		if err != nil || waitErr != nil {
			return
		}
		r.mu.Lock()
		for _, ev := range events[:n] {
			tok := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if ch, ok := r.streams[tok]; ok {
				close(ch)
				delete(r.streams, tok)
			}
		}
		r.mu.Unlock()
	}
}
