package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// AuthMechanisms and Auth make a session offer Options.Auth.
func (x *session) AuthMechanisms() []string { return x.s.opts.Auth }

func (x *session) Auth(mech string) (sasl.Server, error) {
	x.s.mu.Lock()
	x.s.auths = append(x.s.auths, mech)
	x.s.mu.Unlock()
	if !slices.Contains(x.s.opts.Auth, mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	check := func(user, pass string) error {
		if user != x.s.opts.User || pass != x.s.opts.Password {
			return errors.New("wrong user or password")
		}
		x.auth = mech
		return nil
	}
	switch mech {
	case "PLAIN":
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case "LOGIN":
		return &loginServer{check: check}, nil
	case "CRAM-MD5":
		return &cramServer{password: x.s.opts.Password, check: func(user string) error {
			return check(user, x.s.opts.Password)
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the LOGIN mechanism: a prompt for the user name (unless it came with AUTH LOGIN), one for the
// password.
type loginServer struct {
	user  *string // nil until the client sent it
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch {
	case l.user == nil && resp == nil:
		return []byte("Username:"), false, nil
	case l.user == nil:
		u := string(resp)
		l.user = &u
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(*l.user, string(resp))
}

// cramServer is CRAM-MD5 (RFC 2195): a challenge, answered by the user name and the HMAC-MD5 of the challenge
// keyed with the password.
type cramServer struct {
	challenge []byte
	password  string
	check     func(user string) error
}

func (c *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if c.challenge == nil {
		c.challenge = fmt.Appendf(nil, "<%d@mail.test>", time.Now().UnixNano())
		return c.challenge, false, nil
	}
	user, digest, _ := strings.Cut(string(resp), " ")
	m := hmac.New(md5.New, []byte(c.password))
	m.Write(c.challenge)
	if !hmac.Equal([]byte(digest), []byte(hex.EncodeToString(m.Sum(nil)))) {
		return nil, true, errors.New("wrong digest")
	}
	return nil, true, c.check(user)
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, valid for the test, and a pool that trusts it.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}, pool
}
