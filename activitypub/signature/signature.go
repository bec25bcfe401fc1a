// Package signature is HTTP Signatures as Mastodon and the rest sign and verify them
// (draft-cavage-http-signatures-12): rsa-sha256 over "(request-target) host date digest", with a SHA-256
// Digest of the body on a POST, and the blog's RSA keys in PEM. go-fed/httpsig signs and checks the signature
// itself; what the draft leaves to the receiver (which headers must be signed, how old Date may be, whether
// Digest matches the body) is checked here.
package signature

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// HTTP Signatures as Mastodon and the rest sign and verify them (draft-cavage-http-signatures-12): rsa-sha256
// over "(request-target) host date digest", with a SHA-256 Digest of the body on a POST. go-fed/httpsig does
// the signing and the checking of the signature itself; what the draft leaves to the receiver (which headers
// must be signed, how old Date may be, whether Digest matches the body) is checked here.

// signedHeaders are the headers every signed request of the blog covers, and those it requires of a POST.
var signedHeaders = []string{httpsig.RequestTarget, "host", "date", "digest"}

// Clock bounds on a signed request's Date: Mastodon takes requests up to 12 hours old and 1 hour ahead.
const (
	MaxAge    = 12 * time.Hour
	MaxAhead  = time.Hour
	KeyBits   = 2048
	pemHeader = "PUBLIC KEY"
)

// GenerateKey returns a new RSA private key in PEM (PKCS #8), the kind every fediverse server reads.
func GenerateKey() (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// ParsePrivateKey reads a PEM private key (PKCS #8 or PKCS #1).
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, errors.New("signature: no PEM block in the private key")
	}
	if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, errors.New("signature: the private key is not RSA")
	}
	return x509.ParsePKCS1PrivateKey(b.Bytes)
}

// PublicKeyPEM returns the public half of k in PEM (SubjectPublicKeyInfo), as actor documents carry it.
func PublicKeyPEM(k *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: pemHeader, Bytes: der})), nil
}

// ParsePublicKey reads an actor's public key in PEM (SubjectPublicKeyInfo, or PKCS #1 as some servers send).
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	b, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if b == nil {
		return nil, errors.New("signature: no PEM block in the public key")
	}
	if k, err := x509.ParsePKIXPublicKey(b.Bytes); err == nil {
		if rk, ok := k.(*rsa.PublicKey); ok && rk.N.BitLen() >= 1024 {
			return rk, nil
		}
		return nil, errors.New("signature: the public key is not RSA of at least 1024 bits")
	}
	rk, err := x509.ParsePKCS1PublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signature: reading the public key: %w", err)
	}
	return rk, nil
}

// Sign signs req (a POST with body, or a GET with a nil body) with key under keyID: Host and Date are set, and
// Digest for a body.
func Sign(req *http.Request, body []byte, key *rsa.PrivateKey, keyID string, now time.Time) error {
	headers := signedHeaders
	if body == nil {
		headers = signedHeaders[:3]
	}
	req.Header.Set("Host", req.URL.Host)
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return err
	}
	if err := signer.SignRequest(key, keyID, req, body); err != nil {
		return err
	}
	// go-fed/httpsig names every algorithm "hs2019" (the later drafts' choice); Mastodon sends, and every server
	// takes, "rsa-sha256", which older implementations (joyent's http-signature, and servers built on it) need.
	// The parameter is not part of what is signed.
	req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
	return nil
}

// ErrSignature refuses a request whose signature is missing, malformed, does not cover what it must, is too old
// or does not verify.
var ErrSignature = errors.New("signature: bad signature")

func sigErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrSignature, fmt.Sprintf(format, a...))
}

// KeyID returns the keyId a request's Signature header names, after checking what the header must hold: the
// rsa-sha256 (or hs2019) algorithm and, for a POST, the headers (request-target), host, date and digest.
func KeyID(req *http.Request) (string, error) {
	params := parseSignature(req.Header.Get("Signature"))
	if params == nil {
		return "", sigErr("no Signature header")
	}
	if a := params["algorithm"]; a != "" && a != "rsa-sha256" && a != "hs2019" {
		return "", sigErr("algorithm %q", a)
	}
	covered := map[string]bool{}
	for _, h := range strings.Fields(strings.ToLower(params["headers"])) {
		covered[h] = true
	}
	need := signedHeaders[:3]
	if req.Method == http.MethodPost {
		need = signedHeaders
	}
	for _, h := range need {
		if !covered[h] {
			return "", sigErr("the signature does not cover %s", h)
		}
	}
	if params["keyId"] == "" {
		return "", sigErr("no keyId")
	}
	return params["keyId"], nil
}

// Verify checks a request signed by the holder of pub: its Date within the clock bounds, its Digest (for a
// POST) that of body, and its signature.
func Verify(req *http.Request, body []byte, pub crypto.PublicKey, now time.Time) error {
	if _, err := KeyID(req); err != nil {
		return err
	}
	date, err := http.ParseTime(req.Header.Get("Date"))
	if err != nil {
		return sigErr("no readable Date")
	}
	if date.Before(now.Add(-MaxAge)) || date.After(now.Add(MaxAhead)) {
		return sigErr("Date %s is outside the accepted window", req.Header.Get("Date"))
	}
	if req.Method == http.MethodPost {
		sum := sha256.Sum256(body)
		want := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
		ok := false
		for _, d := range strings.Split(req.Header.Get("Digest"), ",") {
			if strings.TrimSpace(d) == want {
				ok = true
			}
		}
		if !ok {
			return sigErr("Digest does not match the body")
		}
	}
	v, err := httpsig.NewVerifier(req)
	if err != nil {
		return sigErr("%v", err)
	}
	if err := v.Verify(pub, httpsig.RSA_SHA256); err != nil {
		return sigErr("%v", err)
	}
	return nil
}

// parseSignature reads the parameters of a Signature header (key="value",...); nil when there are none.
func parseSignature(h string) map[string]string {
	if h == "" || len(h) > 8192 {
		return nil
	}
	out := map[string]string{}
	for len(h) > 0 {
		h = strings.TrimLeft(h, " ,")
		k, rest, ok := strings.Cut(h, "=")
		if !ok {
			break
		}
		rest = strings.TrimSpace(rest)
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				return nil
			}
			v, h = rest[1:1+end], rest[2+end:]
		} else {
			v, h, _ = strings.Cut(rest, ",")
		}
		out[strings.TrimSpace(k)] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
