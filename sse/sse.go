// Package sse writes server-sent events on a connection taken over from the HTTP server: one goroutine and a
// small buffer per stream instead of the server's per-request machinery.
package sse

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"strings"
	"time"
)

// WriteTimeout bounds one flush: a reader that takes longer to accept data is gone or stuck, and its stream is
// closed.
const WriteTimeout = 10 * time.Second

// Writer writes one event stream and remembers the first write error; every later write is skipped.
type Writer struct {
	conn net.Conn
	w    *bufio.Writer
	err  error
}

// NewWriter returns a writer on conn with a 1 KiB buffer.
func NewWriter(conn net.Conn) *Writer {
	return &Writer{conn: conn, w: bufio.NewWriterSize(conn, 1024)}
}

// Start writes the response head: status 200, the event-stream headers, the extra headers given (name, value
// pairs), and the reconnection delay browsers should use.
func (s *Writer) Start(extra [][2]string, retry time.Duration) {
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n" +
		"X-Accel-Buffering: no\r\nConnection: close\r\n")
	for _, h := range extra {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\nretry: " + strconv.FormatInt(retry.Milliseconds(), 10) + "\n\n")
	s.raw(b.String())
}

func (s *Writer) raw(str string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(str)
	}
}

// Event writes one event; each line of data gets its own data: field. An id of 0 or less is left out.
func (s *Writer) Event(event string, id int64, data []byte) {
	s.raw("event: " + event + "\n")
	if id > 0 {
		s.raw("id: " + strconv.FormatInt(id, 10) + "\n")
	}
	for line := range bytes.Lines(data) {
		s.raw("data: ")
		if s.err == nil {
			_, s.err = s.w.Write(bytes.TrimRight(line, "\r\n"))
		}
		s.raw("\n")
	}
	s.raw("\n")
}

// Comment writes a comment line, which browsers ignore (a heartbeat).
func (s *Writer) Comment(text string) { s.raw(": " + text + "\n\n") }

// Flush sends what is buffered, within WriteTimeout, and returns the first error met so far.
func (s *Writer) Flush() error {
	if s.err == nil {
		s.conn.SetWriteDeadline(time.Now().Add(WriteTimeout))
		s.err = s.w.Flush()
	}
	return s.err
}
