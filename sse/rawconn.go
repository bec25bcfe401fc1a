package sse

import (
	"errors"
	"net"
	"syscall"
)

// rawConn returns the socket under a stream's connection, for the reaper.
func rawConn(c net.Conn) (syscall.RawConn, error) {
	// fasthttp hands a hijacked connection over in a wrapper of its own.
	for {
		u, ok := c.(interface{ UnsafeConn() net.Conn })
		if !ok {
			break
		}
		c = u.UnsafeConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}
