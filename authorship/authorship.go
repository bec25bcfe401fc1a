// Package authorship remembers, in a signed cookie of the visitor's browser, which comments that browser posted:
// so a comment held for review can be shown to its author (and to nobody else), with nothing to sign in to.
// The cookie's format is encoded and decoded here only.
package authorship

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Cookie names the cookie.
const Cookie = "mine"

// Max is how many comments the cookie remembers; older ones fall off.
const Max = 20

// Lifetime is how long the browser keeps the cookie after the last comment.
const Lifetime = 30 * 24 * time.Hour

// Entry is one comment the browser posted.
type Entry struct {
	ID     int64
	PostID int64
	At     time.Time
}

// Signer reads and writes the cookie, signed with its key.
type Signer struct {
	key    []byte
	secure bool
}

// New returns a signer; secure marks the cookie Secure even on plain HTTP (behind a TLS proxy).
func New(key []byte, secure bool) *Signer { return &Signer{key: key, secure: secure} }

func (s *Signer) sign(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Read returns the entries of the request's cookie; a missing, altered or malformed cookie reads as none.
func (s *Signer) Read(c *fiber.Ctx) []Entry {
	return s.decode(c.Cookies(Cookie))
}

// ForPost returns the ids the browser posted on one post.
func (s *Signer) ForPost(c *fiber.Ctx, postID int64) []int64 {
	var ids []int64
	for _, e := range s.Read(c) {
		if e.PostID == postID {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// Add records a new comment in the response's cookie, keeping the newest Max.
func (s *Signer) Add(c *fiber.Ctx, e Entry) {
	entries := append(s.Read(c), e)
	if len(entries) > Max {
		entries = entries[len(entries)-Max:]
	}
	c.Cookie(&fiber.Cookie{Name: Cookie, Value: s.encode(entries), Path: "/", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: s.secure || c.Protocol() == "https",
		Expires: time.Now().Add(Lifetime)})
}

// encode writes "id.post.unix~id.post.unix~...!signature".
func (s *Signer) encode(entries []Entry) string {
	parts := make([]string, len(entries))
	for i, e := range entries {
		parts[i] = strconv.FormatInt(e.ID, 10) + "." + strconv.FormatInt(e.PostID, 10) + "." + strconv.FormatInt(e.At.Unix(), 10)
	}
	payload := strings.Join(parts, "~")
	return payload + "!" + s.sign(payload)
}

func (s *Signer) decode(v string) []Entry {
	payload, sig, ok := strings.Cut(v, "!")
	if !ok || len(v) > 4096 || !hmac.Equal([]byte(sig), []byte(s.sign(payload))) || payload == "" {
		return nil
	}
	var out []Entry
	for _, part := range strings.Split(payload, "~") {
		f := strings.Split(part, ".")
		if len(f) != 3 {
			return nil
		}
		id, err1 := strconv.ParseInt(f[0], 10, 64)
		post, err2 := strconv.ParseInt(f[1], 10, 64)
		at, err3 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil
		}
		out = append(out, Entry{ID: id, PostID: post, At: time.Unix(at, 0).UTC()})
	}
	if len(out) > Max {
		out = out[len(out)-Max:]
	}
	return out
}
