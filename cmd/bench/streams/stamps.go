package streams

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// stampedLines reads a stream's lines together with the time the kernel received the bytes that completed each
// (SO_TIMESTAMPNS): when the server's event reached the reader's socket, however long the reader's goroutine then
// waited for a core. With thousands of readers on the same two cores as the server, that wait is the load
// generator's, not the server's; both times are reported.
type stampedLines struct {
	raw     syscall.RawConn
	pend    []byte // bytes read; those before start were returned as lines
	start   int
	oob     []byte
	arrived time.Time // kernel time of the last bytes read
}

func newStampedLines(conn net.Conn) (*stampedLines, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	return &stampedLines{raw: raw, pend: make([]byte, 0, 4096), oob: make([]byte, 256)}, nil
}

// next returns the next line (with its newline; valid until the next call), when its last byte reached the
// socket, and when it was read.
func (s *stampedLines) next() (line []byte, arrived, read time.Time, err error) {
	for {
		if i := bytes.IndexByte(s.pend[s.start:], '\n'); i >= 0 {
			line = s.pend[s.start : s.start+i+1]
			s.start += i + 1
			return line, s.arrived, time.Now(), nil
		}
		s.pend = append(s.pend[:0], s.pend[s.start:]...) // memmove: the unread part to the front
		s.start = 0
		if cap(s.pend)-len(s.pend) < 2048 {
			s.pend = append(make([]byte, 0, 2*cap(s.pend)), s.pend...)
		}
		space := s.pend[len(s.pend):cap(s.pend)]
		var n, oobn int
		var rerr error
		err = s.raw.Read(func(fd uintptr) bool {
			n, oobn, _, _, rerr = syscall.Recvmsg(int(fd), space, s.oob, 0)
			return rerr != syscall.EAGAIN
		})
		if err == nil {
			err = rerr
		}
		if err == nil && n == 0 {
			err = io.EOF
		}
		if err != nil {
			return nil, time.Time{}, time.Time{}, err
		}
		s.arrived = time.Now()
		if msgs, perr := syscall.ParseSocketControlMessage(s.oob[:oobn]); perr == nil {
			for _, m := range msgs {
				if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
					sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
					nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
					s.arrived = time.Unix(sec, nsec)
				}
			}
		}
		s.pend = s.pend[:len(s.pend)+n]
	}
}
