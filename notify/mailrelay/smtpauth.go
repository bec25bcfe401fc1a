package mailrelay

import (
	"errors"
	"fmt"
	"net/smtp"
	"slices"
	"strings"
)

// chooseAuth picks the first mechanism the relay offers in the order mail programs prefer: CRAM-MD5 (the
// password never crosses the wire), PLAIN, then LOGIN (all that Office 365 and some others offer). PLAIN and
// LOGIN refuse a connection without TLS, except to a relay on the same machine.
func (s *SMTP) chooseAuth(c *smtp.Client) (smtp.Auth, error) {
	ok, offered := c.Extension("AUTH")
	if !ok {
		return nil, errors.New("no AUTH offered, and SMTP_URL names a user")
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	switch {
	case slices.Contains(mechs, "CRAM-MD5"):
		return smtp.CRAMMD5Auth(s.user, s.pass), nil
	case slices.Contains(mechs, "PLAIN"):
		return smtp.PlainAuth("", s.user, s.pass, s.host), nil
	case slices.Contains(mechs, "LOGIN"):
		return &loginAuth{user: s.user, pass: s.pass, host: s.host}, nil
	}
	return nil, fmt.Errorf("AUTH offers %s, none of CRAM-MD5, PLAIN, LOGIN", offered)
}

// loginAuth is the LOGIN mechanism (draft-murchison-sasl-login): the user name, then the password, each
// answering the server's prompt, whatever the prompt says.
type loginAuth struct {
	user, pass, host string
	step             int
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	// As smtp.PlainAuth: without TLS nothing the server says can be trusted, so the password goes only to
	// a relay on this machine.
	if !server.TLS && !isLocalhost(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", fromServer)
}

func isLocalhost(name string) bool {
	return name == "localhost" || name == "127.0.0.1" || name == "::1"
}
