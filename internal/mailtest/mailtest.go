// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) inside a test: it receives what the
// blog sends over a real connection, can go down and come back on the same address, and keeps every message.
// It can offer STARTTLS and require authentication, as a provider's relay does.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
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
	// TLS tells whether the message came over TLS; Auth names the mechanism its client authenticated with.
	TLS  bool
	Auth string
}

// Options makes a server stricter than Start's, which takes any mail, in clear, from anyone.
type Options struct {
	// TLS offers STARTTLS with a certificate for 127.0.0.1 made for the test: Server.RootCAs trusts it.
	TLS bool
	// ImplicitTLS speaks TLS from the first byte (smtps) with that certificate instead.
	ImplicitTLS bool
	// Auth lists the AUTH mechanisms offered (PLAIN, LOGIN, CRAM-MD5). With any, mail is taken only from a
	// client that authenticated as User with Password.
	Auth           []string
	User, Password string
}

// Server is an SMTP server listening on 127.0.0.1.
type Server struct {
	t    testing.TB
	Addr string
	// RootCAs trusts the server's certificate when it offers TLS.
	RootCAs *x509.CertPool

	opts  Options
	tls   *tls.Config
	mu    sync.Mutex
	msgs  []Message
	auths []string
	srv   *smtp.Server
	l     net.Listener
}

// Start starts a server; it stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith starts a server that offers TLS or requires authentication as o says; it stops when the test ends.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{t: t, opts: o}
	if o.TLS || o.ImplicitTLS {
		s.tls, s.RootCAs = selfSigned(t)
	}
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
	if s.opts.ImplicitTLS {
		l = tls.NewListener(l, s.tls)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, c: c}, nil }))
	srv.Domain = "mail.test"
	// AUTH is offered without TLS too, so a test sees that the client, not the server, keeps a password safe.
	srv.AllowInsecureAuth = true
	if s.opts.TLS {
		srv.TLSConfig = s.tls
	}
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	s.mu.Lock()
	s.srv, s.l = srv, l
	s.mu.Unlock()
	go srv.Serve(l)
}

// URL is the SMTP_URL that reaches the server.
func (s *Server) URL() string {
	if s.opts.ImplicitTLS {
		return "smtps://" + s.Addr
	}
	return "smtp://" + s.Addr
}

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

// Auths returns the mechanisms clients began AUTH with, in order, whether they succeeded or not.
func (s *Server) Auths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

type session struct {
	s    *Server
	c    *smtp.Conn
	auth string // the mechanism the client authenticated with
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if len(x.s.opts.Auth) > 0 && x.auth == "" {
		return smtp.ErrAuthRequired
	}
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
	_, isTLS := x.c.TLSConnectionState()
	m := Message{From: x.from, To: x.to, Raw: raw, TLS: isTLS, Auth: x.auth}
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
