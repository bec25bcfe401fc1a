// Package sse writes server-sent events on a connection taken over from the HTTP server: one goroutine per
// stream, and a buffer only while something is being written (an idle stream holds none).
package sse

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// WriteTimeout bounds one flush: a reader that takes longer to accept data is gone or stuck, and its stream is
// closed.
const WriteTimeout = 10 * time.Second

// Writer writes one event stream and remembers the first write error; every later write is skipped. What is
// written goes into a buffer borrowed from a pool, given back at each Flush: thousands of idle streams hold no
// buffer at all.
type Writer struct {
	conn net.Conn
	buf  *bytes.Buffer
	err  error
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// NewWriter returns a writer on conn.
func NewWriter(conn net.Conn) *Writer {
	return &Writer{conn: conn}
}

func (s *Writer) b() *bytes.Buffer {
	if s.buf == nil {
		s.buf = buffers.Get().(*bytes.Buffer)
		s.buf.Reset()
	}
	return s.buf
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
		s.b().WriteString(str)
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
			s.b().Write(bytes.TrimRight(line, "\r\n"))
		}
		s.raw("\n")
	}
	s.raw("\n")
}

// Comment writes a comment line, which browsers ignore (a heartbeat).
func (s *Writer) Comment(text string) { s.raw(": " + text + "\n\n") }

// Flush sends what is buffered, within WriteTimeout, and returns the first error met so far.
func (s *Writer) Flush() error {
	if s.buf == nil {
		return s.err
	}
	if s.err == nil {
		s.conn.SetWriteDeadline(time.Now().Add(WriteTimeout))
		_, s.err = s.conn.Write(s.buf.Bytes())
	}
	if s.buf.Cap() <= 64<<10 { // a huge catch-up's buffer is left to the collector
		buffers.Put(s.buf)
	}
	s.buf = nil
	return s.err
}
