package database

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// pingWhenDropped makes the pool check a PostgreSQL connection before reusing it when the server has said
// something since it was last used, or after a second unused (pgx's own rule). A connection idle in the pool
// hears nothing from the server unless the server is ending it: pg_terminate_backend, a restart or a failover
// sends FATAL 57P01 and closes the socket. pgx noticed that only when a query sent on the connection read the
// FATAL back, too late for database/sql to take another connection, so the first request after the server
// dropped its connections failed with a 500. The failed ping makes the connection bad (driver.ErrBadConn) and
// database/sql moves on to another, or to a new one. The look costs one non-blocking system call.
func pingWhenDropped(_ context.Context, p stdlib.ShouldPingParams) bool {
	return p.IdleDuration > time.Second || peerSpoke(p.Conn.PgConn().Conn())
}

// peerSpoke reports whether the other end of c has sent data, or closed, that nobody has read yet; true when it
// cannot tell.
func peerSpoke(c net.Conn) bool {
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok { // TLS: the socket beneath
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	spoke := true
	var b [1]byte
	// Control, not Read: pgx may have left a background reader blocked in a Read on this socket (it starts one
	// when a write is slow), and that Read holds the socket's read lock until the server sends something, which
	// an idle connection never does; Read would wait for that lock for ever. The peek takes no lock and consumes
	// nothing, so it cannot disturb that reader.
	err = raw.Control(func(fd uintptr) {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// Nothing waiting: EAGAIN. Data: n > 0. The server closed: n == 0 without an error.
		spoke = n > 0 || !errors.Is(err, syscall.EAGAIN)
	})
	return spoke || err != nil
}
