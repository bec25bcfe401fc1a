package limits

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"blog/clientip"
)

// ListenerConfig bounds the connections a server holds.
type ListenerConfig struct {
	// MaxConns is the budget of open connections (event streams included), kept below the file-descriptor limit
	// so that accepting never fails for want of descriptors.
	MaxConns int
	// MaxPerClient bounds one client address's open connections (an IPv6 /64 counts as one client). Addresses in
	// Trusted (reverse proxies, which carry many clients) are exempt.
	MaxPerClient int
	Trusted      []netip.Prefix
	Log          *slog.Logger
	// Refused is told each time a connection is refused, with the reason ("budget", "per_client", "accept").
	Refused func(reason string)
}

// Listener accepts connections within the budgets. A failed accept (the process or system out of descriptors,
// a connection aborted before it was accepted) is waited out and retried, never returned: a server must not
// stop because of what clients do. Refusals are logged at most once a minute per client.
type Listener struct {
	net.Listener
	cfg ListenerConfig

	mu        sync.Mutex
	total     int
	perClient map[netip.Prefix]int
	conns     map[*conn]fasthttp.ConnState
	logged    map[string]time.Time
}

// NewListener wraps ln.
func NewListener(ln net.Listener, cfg ListenerConfig) *Listener {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Refused == nil {
		cfg.Refused = func(string) {}
	}
	return &Listener{Listener: ln, cfg: cfg, perClient: map[netip.Prefix]int{}, conns: map[*conn]fasthttp.ConnState{},
		logged: map[string]time.Time{}}
}

// Accept returns the next connection within the budgets.
func (l *Listener) Accept() (net.Conn, error) {
	backoff := 5 * time.Millisecond
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			// EMFILE, ENFILE, ECONNABORTED, ENOBUFS...: temporary, whatever the cause. Slow down and retry,
			// as net/http does.
			l.cfg.Refused("accept")
			l.logOnce("accept", "accepting connections failed; waiting and retrying", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			backoff = min(backoff*2, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(30 * time.Second)
		}
		if wrapped := l.admit(c); wrapped != nil {
			return wrapped, nil
		}
	}
}

// admit counts a new connection, or refuses it (closing it at once) when a budget is spent.
func (l *Listener) admit(c net.Conn) net.Conn {
	addr, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	ip := addr.Addr().Unmap()
	key := clientip.Key(ip)
	exempt := !ip.IsValid() || l.trusted(ip)
	l.mu.Lock()
	reason := ""
	switch {
	case l.cfg.MaxConns > 0 && l.total >= l.cfg.MaxConns:
		reason = "budget"
	case !exempt && l.cfg.MaxPerClient > 0 && l.perClient[key] >= l.cfg.MaxPerClient:
		reason = "per_client"
	}
	if reason == "" {
		l.total++
		if !exempt {
			l.perClient[key]++
		}
	}
	l.mu.Unlock()
	if reason != "" {
		l.cfg.Refused(reason)
		l.logOnce(reason+key.String(), "connection refused", "reason", reason, "client", key.String(), "open", l.Open())
		c.Close()
		return nil
	}
	w := &conn{Conn: c, l: l, key: key, exempt: exempt}
	l.mu.Lock()
	l.conns[w] = fasthttp.StateNew
	l.mu.Unlock()
	return w
}

func (l *Listener) trusted(a netip.Addr) bool {
	for _, p := range l.cfg.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// logOnce logs a refusal at most once a minute per key.
func (l *Listener) logOnce(key, msg string, args ...any) {
	now := time.Now()
	l.mu.Lock()
	last, seen := l.logged[key]
	if !seen || now.Sub(last) > time.Minute {
		l.logged[key] = now
		if len(l.logged) > 10000 {
			for k, t := range l.logged {
				if now.Sub(t) > time.Minute {
					delete(l.logged, k)
				}
			}
		}
		seen = false
	}
	l.mu.Unlock()
	if !seen {
		l.cfg.Log.Warn(msg, args...)
	}
}

// Open returns the number of open connections.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// ConnState is fasthttp's connection-state hook: it lets Drain find the connections that carry no request.
func (l *Listener) ConnState(c net.Conn, state fasthttp.ConnState) {
	w, ok := c.(*conn)
	if !ok {
		return
	}
	l.mu.Lock()
	if _, open := l.conns[w]; open && state != fasthttp.StateClosed {
		l.conns[w] = state
	}
	l.mu.Unlock()
}

// Drain is called at shutdown, repeatedly until the server has stopped. It closes every connection that carries
// no request (new ones, idle keep-alive ones, ones that have sent nothing yet), and gives a connection part-way
// through sending a request until the time sendBy to send the rest: its next read then fails, and fasthttp
// answers 408 and closes it. A request already received is not affected, so a request being served finishes.
func (l *Listener) Drain(sendBy time.Time) {
	l.mu.Lock()
	var idle, sending []*conn
	for c, st := range l.conns {
		switch {
		// fasthttp marks a new connection active before its first byte arrives: one that has sent nothing
		// carries no request either.
		case st == fasthttp.StateNew || st == fasthttp.StateIdle || (st == fasthttp.StateActive && c.read.Load() == 0):
			idle = append(idle, c)
		case st == fasthttp.StateActive:
			// Reading a request, or serving one already read (whose handler reads no more). fasthttp sets a
			// new deadline when a connection starts its next request: setting it again each call keeps it.
			sending = append(sending, c)
		}
	}
	l.mu.Unlock()
	for _, c := range idle {
		c.Conn.Close()
	}
	for _, c := range sending {
		c.Conn.SetReadDeadline(sendBy)
	}
}

// conn is an admitted connection; closing it gives its place back, once.
type conn struct {
	net.Conn
	l      *Listener
	key    netip.Prefix
	exempt bool
	once   sync.Once
	read   atomic.Int64 // bytes received so far
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// Close closes gracefully: it says goodbye first (FIN) and reads what the client was still sending for a
// moment, so that an answer written just before (a 413 for a body that was too large) is not destroyed by a
// reset. The place in the budget is given back at once.
func (c *conn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.total--
		if !c.exempt {
			if c.l.perClient[c.key]--; c.l.perClient[c.key] <= 0 {
				delete(c.l.perClient, c.key)
			}
		}
		c.l.mu.Unlock()
	})
	tc, ok := c.Conn.(*net.TCPConn)
	if !ok {
		return c.Conn.Close()
	}
	if err := tc.CloseWrite(); err != nil {
		return tc.Close()
	}
	go linger(tc)
	return nil
}

// linger drains what the client still sends, for at most a second and 1 MiB, then closes.
func linger(tc *net.TCPConn) {
	tc.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 16<<10)
	for total := 0; total < 1<<20; {
		n, err := tc.Read(buf)
		total += n
		if err != nil {
			break
		}
	}
	tc.Close()
}

// SyscallConn gives the event-stream reaper access to the socket, to notice a client that left.
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// RaiseFileLimit raises the soft limit on open files to the hard limit and returns the soft limit now in force.
func RaiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
		}
	}
	return lim.Cur, nil
}
