package reactions

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/views"
)

// The browser's record of its reactions: a signed cookie, as authorship keeps a browser's comments, holding a
// random name for the reader (what the reaction store knows them by) and the reactions they gave, newest last,
// so the page script can mark them on pages every reader shares. The page script reads it, so it is not
// HttpOnly; it holds nothing secret (a random name and which buttons were pressed), and the signature keeps it
// from being made up. The format is encoded and decoded here only.

// Cookie names the cookie.
const Cookie = "reacted"

// MaxRecorded is how many reactions the record keeps (about 10 bytes each, well within a cookie's 4 KB); past it
// the oldest are no longer marked on the page, though pressing one still takes it back.
const MaxRecorded = 200

// Lifetime is how long the browser keeps the record after the last reaction.
const Lifetime = 365 * 24 * time.Hour

// maxCookie bounds what is read at all.
const maxCookie = 4096

// Given is one reaction in the record: to comment CommentID, or (CommentID 0) to the post named Slug.
type Given struct {
	Slug      string
	CommentID int64
	Kind      string
}

// key is how a reaction is written in the record: "c123.like" for a comment, "pslug.like" for a post
// (views.ReactionKey, which the page script reads too).
func (g Given) key() string { return views.ReactionKey(g.Slug, g.CommentID) + "." + g.Kind }

// Record is a browser's record: its reader name and its reactions, as keys, oldest first.
type Record struct {
	Reader string
	Keys   []string
}

// Has reports whether the record holds the reaction.
func (r Record) Has(g Given) bool {
	k := g.key()
	for _, x := range r.Keys {
		if x == k {
			return true
		}
	}
	return false
}

// With returns the record with the reaction added (on) or taken out, keeping the newest MaxRecorded.
func (r Record) With(g Given, on bool) Record {
	k := g.key()
	keys := make([]string, 0, len(r.Keys)+1)
	for _, x := range r.Keys {
		if x != k {
			keys = append(keys, x)
		}
	}
	if on {
		keys = append(keys, k)
	}
	if len(keys) > MaxRecorded {
		keys = keys[len(keys)-MaxRecorded:]
	}
	return Record{Reader: r.Reader, Keys: keys}
}

// Signer reads and writes the record, signed with its key.
type Signer struct {
	key    []byte
	secure bool
}

// NewSigner returns a signer; secure marks the cookie Secure even on plain HTTP (behind a TLS proxy).
func NewSigner(key []byte, secure bool) *Signer { return &Signer{key: key, secure: secure} }

func (s *Signer) sign(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("reacted:" + payload)) // a purpose of its own, so no other cookie's signature fits
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Read returns the request's record; a missing, altered or malformed one reads as a new reader's (with a new
// random name).
func (s *Signer) Read(c *fiber.Ctx) Record {
	if r, ok := s.decode(c.Cookies(Cookie)); ok {
		return r
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return Record{Reader: base64.RawURLEncoding.EncodeToString(b[:])}
}

// KeysHeader carries the record's keys in the answer to a press, for the page script: another tab of the same
// browser can read the cookie before the browser has told it of the new one, so the tab that pressed passes
// these on instead of asking each tab to trust its copy of the cookie.
const KeysHeader = "X-Reacted"

// Write sets the record in the response (the cookie, and its keys in KeysHeader).
func (s *Signer) Write(c *fiber.Ctx, r Record) {
	c.Cookie(&fiber.Cookie{Name: Cookie, Value: s.encode(r), Path: "/", SameSite: fiber.CookieSameSiteLaxMode,
		Secure: s.secure || c.Protocol() == "https", Expires: time.Now().Add(Lifetime)})
	c.Set(KeysHeader, strings.Join(r.Keys, "~"))
}

// encode writes "reader|key~key~...!signature".
func (s *Signer) encode(r Record) string {
	payload := r.Reader + "|" + strings.Join(r.Keys, "~")
	return payload + "!" + s.sign(payload)
}

func (s *Signer) decode(v string) (Record, bool) {
	if len(v) > maxCookie {
		return Record{}, false
	}
	payload, sig, ok := strings.Cut(v, "!")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return Record{}, false
	}
	reader, list, ok := strings.Cut(payload, "|")
	if !ok || len(reader) < 16 || len(reader) > 64 {
		return Record{}, false
	}
	r := Record{Reader: reader}
	if list != "" {
		r.Keys = strings.Split(list, "~")
	}
	if len(r.Keys) > MaxRecorded {
		r.Keys = r.Keys[len(r.Keys)-MaxRecorded:]
	}
	return r, true
}
