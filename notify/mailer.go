package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"

	"blog/tlsroots"
)

// Mail is one message as the outbox stores it.
type Mail struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
	// Unsubscribe, when set, is the one-click unsubscribe address (List-Unsubscribe, RFC 8058).
	Unsubscribe string `json:"unsubscribe,omitempty"`
	// Shared, when set, names a body many messages share (a post's mail to every subscriber), which
	// Config.Expand fills in before sending, so the outbox holds it once rather than once per recipient.
	Shared string `json:"shared,omitempty"`
	// Lang is the language a reader's mail is written in ("" for the owner's, which are English): several mails
	// gathered into one are introduced in it.
	Lang string `json:"lang,omitempty"`
}

// Mailer sends a message; messageID identifies it (the same message sent again keeps its id).
type Mailer interface {
	Send(ctx context.Context, from string, m Mail, messageID string) error
}

// SMTP sends through a relay with github.com/wneessen/go-mail.
type SMTP struct {
	host    string
	opts    []mail.Option
	timeout time.Duration
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
	s := &SMTP{host: host, timeout: 30 * time.Second}
	s.opts = []mail.Option{mail.WithPort(port), mail.WithTimeout(s.timeout), mail.WithTLSConfig(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})}
	user := u.User.Username()
	pass, hasPass := u.User.Password()
	switch {
	case u.Scheme == "smtps":
		s.opts = append(s.opts, mail.WithSSL())
	case hasPass:
		s.opts = append(s.opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		s.opts = append(s.opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if user != "" {
		s.opts = append(s.opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(user), mail.WithPassword(pass))
	}
	return s, nil
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
// headers when the message has an unsubscribe address.
func (s *SMTP) Send(ctx context.Context, from string, m Mail, messageID string) error {
	msg := mail.NewMsg()
	if err := msg.From(from); err != nil {
		return fmt.Errorf("MAIL_FROM: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(messageID)
	msg.SetDate()
	msg.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	if m.Unsubscribe != "" {
		msg.SetGenHeader(mail.HeaderListUnsubscribe, "<"+m.Unsubscribe+">")
		msg.SetGenHeader(mail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	tlsroots.Ensure()
	c, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err = c.DialAndSendWithContext(ctx, msg)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("relay %s: timed out: %w", s.host, err)
	}
	return err
}
