// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) inside a test: it receives what the
// blog sends over a real connection, can go down and come back on the same address, and keeps every message.
package mailtest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one received message, parsed.
type Message struct {
	From   string
	To     []string
	Header mail.Header
	// Text is the plain-text part, HTML the HTML alternative (decoded).
	Text, HTML string
	Raw        []byte
}

// Server is an SMTP server listening on 127.0.0.1.
type Server struct {
	t    testing.TB
	Addr string

	mu   sync.Mutex
	msgs []Message
	srv  *smtp.Server
	l    net.Listener
}

// Start starts a server; it stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "mail.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	s.mu.Lock()
	s.srv, s.l = srv, l
	s.mu.Unlock()
	go srv.Serve(l)
}

// URL is the SMTP_URL that reaches the server.
func (s *Server) URL() string { return "smtp://" + s.Addr }

// Stop stops listening: connections are refused, as when a relay is down.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, l := s.srv, s.l
	s.srv, s.l = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// The listener too: Serve may not have registered it with the server yet.
		l.Close()
		srv.Close()
	}
}

// Restart listens again on the same address.
func (s *Server) Restart() {
	s.t.Helper()
	var l net.Listener
	var err error
	for range 50 { // the port may take a moment to be free again
		if l, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(l)
}

// Messages returns what was received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait waits until at least n messages were received, failing the test after within.
func (s *Server) Wait(n int, within time.Duration) []Message {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("mail: %d message(s) received within %v, want %d", len(s.Messages()), within, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: x.from, To: x.to, Raw: raw}
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Header = msg.Header
		m.Text, m.HTML = parts(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	x.s.mu.Unlock()
	return nil
}

// parts returns the text and HTML of a message body, multipart or not.
func parts(contentType, encoding string, body io.Reader) (text, html string) {
	mt, params, _ := mime.ParseMediaType(contentType)
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return text, html
			}
			t, h := parts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			text += t
			html += h
		}
	}
	b := decode(encoding, body)
	if mt == "text/html" {
		return "", b
	}
	return b, ""
}

func decode(encoding string, r io.Reader) string {
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		b, _ := io.ReadAll(newQP(r))
		return string(b)
	case "base64":
		b, _ := io.ReadAll(newB64(r))
		return string(b)
	}
	b, _ := io.ReadAll(r)
	return string(b)
}

// Subject returns the message's decoded subject.
func (m Message) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}
