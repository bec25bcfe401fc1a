// Package mailrelay sends the blog's mail through an SMTP relay (SMTP_URL) with the standard library: net/smtp for
// the exchange (STARTTLS or TLS from the first byte, AUTH as the relay offers it), mime and net/mail for the
// message.
package mailrelay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/url"
	"os"
	"strconv"
	"time"

	"blog/notify"
	"blog/tlsroots"
)

// SMTP sends through a relay with the standard library's net/smtp.
type SMTP struct {
	host string
	addr string // host:port
	// implicitTLS is smtps: TLS from the first byte. Otherwise STARTTLS is used when offered, and required
	// when requireTLS (a password is given and must not travel in clear).
	implicitTLS bool
	requireTLS  bool
	user, pass  string
	tls         *tls.Config
	timeout     time.Duration
}

// ParseSMTPURL reads SMTP_URL: smtp://[user:pass@]host[:port] speaks STARTTLS (required when a password is
// given, used when offered otherwise; port 587 by default), smtps://[user:pass@]host[:port] TLS from the first
// byte (port 465). A relay on the same machine needs neither: smtp://127.0.0.1:25.
func ParseSMTPURL(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
		return nil, fmt.Errorf("SMTP_URL %q: want smtp://[user:pass@]host[:port] or smtps://…", redact(raw))
	}
	host := u.Hostname()
	port := 587
	if u.Scheme == "smtps" {
		port = 465
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("SMTP_URL: bad port %q", p)
		}
	}
	pass, hasPass := u.User.Password()
	return &SMTP{host: host, addr: net.JoinHostPort(host, strconv.Itoa(port)), implicitTLS: u.Scheme == "smtps",
		requireTLS: hasPass, user: u.User.Username(), pass: pass,
		tls: &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}, timeout: 30 * time.Second}, nil
}

// redact hides a password in an SMTP_URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Send delivers one message: plain text with an HTML alternative, a stable Message-ID, and the unsubscribe
// headers when the message has an unsubscribe address. The whole exchange, dialing included, is bounded by the
// SMTP's timeout and ends early when ctx does.
func (s *SMTP) Send(ctx context.Context, from string, m notify.Mail, messageID string) error {
	msg, err := encodeMail(from, m, messageID, time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err = s.deliver(ctx, msg)
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("relay %s: %w: %w", s.host, context.Canceled, err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("relay %s: timed out: %w", s.host, err)
	}
	return fmt.Errorf("relay %s: %w", s.host, err)
}

// deliver speaks SMTP with the relay: TLS as SMTP_URL asks, authentication when a user is given, one message
// to one recipient.
func (s *SMTP) deliver(ctx context.Context, msg envelope) error {
	tlsroots.Ensure()
	d := net.Dialer{Timeout: s.timeout}
	raw, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	defer raw.Close()
	deadline, _ := ctx.Deadline()
	if err := raw.SetDeadline(deadline); err != nil {
		return err
	}
	// net/smtp takes no context: a cancelled one (shutting down) ends a blocked read or write at once.
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	conn := raw
	if s.implicitTLS {
		conn = tls.Client(raw, s.tls)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(heloName()); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if !s.implicitTLS {
		offered, _ := c.Extension("STARTTLS")
		switch {
		case offered:
			if err := c.StartTLS(s.tls); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
		case s.requireTLS:
			return errors.New("no STARTTLS offered, and a password is never sent in clear (smtps:// if the relay speaks TLS from the start)")
		}
	}
	if s.user != "" {
		auth, err := s.chooseAuth(c)
		if err != nil {
			return err
		}
		if err := c.Auth(auth); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(msg.from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(msg.to); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg.data); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	// The relay has accepted the message: a failed QUIT must not send it again.
	c.Quit()
	return nil
}

// heloName is the name the blog greets the relay with: the machine's, as mail programs do.
func heloName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}
