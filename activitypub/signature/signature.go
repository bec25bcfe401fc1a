// Package signature is HTTP Signatures as Mastodon and the rest sign and verify them
// (draft-cavage-http-signatures-12): rsa-sha256 over "(request-target) host date digest", with a SHA-256
// Digest of the body on a POST, and the blog's RSA keys in PEM: the signing string the draft defines, signed and
// checked with crypto/rsa (PKCS #1 v1.5 over SHA-256), and what the draft leaves to the receiver (which headers
// must be signed, how old Date may be, whether Digest matches the body).
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
	"strconv"
	"strings"
	"time"
)

// requestTarget is the draft's pseudo-header for the method and path.
const requestTarget = "(request-target)"

// signedHeaders are the headers every signed request of the blog covers, and those it requires of a POST.
var signedHeaders = []string{requestTarget, "host", "date", "digest"}

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
	if body != nil {
		req.Header.Set("Digest", digest(body))
	}
	str, err := signingString(req, headers, nil)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(str))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return err
	}
	// "rsa-sha256" as Mastodon sends it and every server takes it (older implementations, joyent's
	// http-signature and servers built on it, know no other name).
	req.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="rsa-sha256",headers="%s",signature="%s"`,
		keyID, strings.Join(headers, " "), base64.StdEncoding.EncodeToString(sig)))
	return nil
}

// Host is the host a request's signature covers: its Host header, or the Host a server's request carries
// outside its headers.
func Host(req *http.Request) string {
	if h := req.Header.Get("Host"); h != "" {
		return h
	}
	return req.Host
}

// digest is a body's Digest header (RFC 3230) as the fediverse sends it.
func digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// signingString builds what is signed (the draft's section 2.3): one "name: value" line per covered header, in
// the order the signature lists them, several values of one header joined by ", "; (request-target) is the
// lowercased method and the path with its query; (created) and (expires) come from the Signature's parameters.
func signingString(req *http.Request, headers []string, params map[string]string) (string, error) {
	var b strings.Builder
	for i, h := range headers {
		h = strings.ToLower(h)
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(h)
		b.WriteString(": ")
		switch h {
		case requestTarget:
			b.WriteString(strings.ToLower(req.Method) + " " + req.URL.EscapedPath()) // the path as sent, as Mastodon signs it
			if req.URL.RawQuery != "" {
				b.WriteString("?" + req.URL.RawQuery)
			}
		case "(created)", "(expires)":
			v := params[strings.Trim(h, "()")]
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return "", fmt.Errorf("the signature covers %s without a number for it", h)
			}
			b.WriteString(v)
		default:
			values := req.Header.Values(h)
			if h == "host" && len(values) == 0 && req.Host != "" {
				values = []string{req.Host}
			}
			if len(values) == 0 {
				return "", fmt.Errorf("missing header %q", h)
			}
			for j, v := range values {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strings.TrimSpace(v))
			}
		}
	}
	return b.String(), nil
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
		want, ok := digest(body), false
		for _, d := range strings.Split(req.Header.Get("Digest"), ",") {
			// The algorithm's name is case-insensitive (RFC 3230); the value is not.
			if name, value, _ := strings.Cut(strings.TrimSpace(d), "="); strings.EqualFold(name, "SHA-256") && "SHA-256="+value == want {
				ok = true
			}
		}
		if !ok {
			return sigErr("Digest does not match the body")
		}
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return sigErr("the key is not RSA")
	}
	params := parseSignature(req.Header.Get("Signature"))
	headers := strings.Fields(params["headers"])
	if len(headers) == 0 {
		headers = []string{"(created)"} // the draft's default when the parameter is absent
	}
	str, err := signingString(req, headers, params)
	if err != nil {
		return sigErr("%v", err)
	}
	sig, err := base64.StdEncoding.DecodeString(params["signature"])
	if err != nil {
		return sigErr("the signature is not base64")
	}
	sum := sha256.Sum256([]byte(str))
	if err := rsa.VerifyPKCS1v15(rk, crypto.SHA256, sum[:], sig); err != nil {
		return sigErr("the signature does not verify")
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
