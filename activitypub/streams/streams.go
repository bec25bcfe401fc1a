// Package streams is the ActivityStreams JSON the blog writes (Doc, encoded with its HTML as it is) and reads
// from others (Object, read loosely: a field may be a string, an object or a list), with the addresses and
// media types every server uses.
package streams

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// Public is the special collection that makes an object public.
const Public = "https://www.w3.org/ns/activitystreams#Public"

// ContentType is the media type activities are sent with; Accept is what the blog asks for when it reads an
// actor.
const (
	ContentType = "application/activity+json"
	Accept      = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// Context is the JSON-LD context of the blog's actor documents; its first entry is every other document's.
var Context = []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"}

// ShortHash is a short name made from s (16 hex digits of its SHA-256), for the part of an activity's id that
// tells it from the blog's others: the same s always gives the same name.
func ShortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// Doc is a JSON-LD document the blog writes.
type Doc map[string]any

// Bytes encodes d, its HTML as it is (not escaped as \u003c: it is JSON, never a page).
func (d Doc) Bytes() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(d)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// Object is an activity or an object as others send them, read loosely: a field may be a string, an object or
// a list (see Ref); unknown fields are ignored.
type Object struct {
	Context      json.RawMessage `json:"@context"`
	ID           string          `json:"id"`
	Type         json.RawMessage `json:"type"`
	Actor        json.RawMessage `json:"actor"`
	Object       json.RawMessage `json:"object"`
	AttributedTo json.RawMessage `json:"attributedTo"`
	InReplyTo    json.RawMessage `json:"inReplyTo"`
	Content      string          `json:"content"`
	Summary      string          `json:"summary"`
	Name         string          `json:"name"`
	URL          json.RawMessage `json:"url"`
	Published    string          `json:"published"`
	To           json.RawMessage `json:"to"`
	Cc           json.RawMessage `json:"cc"`
	// Actors' fields.
	PreferredUsername string          `json:"preferredUsername"`
	Inbox             string          `json:"inbox"`
	Endpoints         json.RawMessage `json:"endpoints"`
	PublicKey         json.RawMessage `json:"publicKey"`
	Icon              json.RawMessage `json:"icon"`
}

// TypeName returns the object's type (the first, when it has several).
func (o Object) TypeName() string { return first(o.Type) }

// ActorID returns the id of the activity's actor.
func (o Object) ActorID() string { return Ref(o.Actor) }

// Ref returns the id a field names: the string itself, the id of an embedded object, or the first of a list.
func Ref(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		ID   string `json:"id"`
		Href string `json:"href"`
	}
	if json.Unmarshal(raw, &o) == nil {
		if o.ID != "" {
			return o.ID
		}
		return o.Href
	}
	var l []json.RawMessage
	if json.Unmarshal(raw, &l) == nil && len(l) > 0 {
		return Ref(l[0])
	}
	return ""
}

// Embedded returns the field's object when it is embedded (not only named by its id).
func Embedded(raw json.RawMessage) (Object, bool) {
	t := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(t, "{") {
		return Object{}, false
	}
	var o Object
	if json.Unmarshal(raw, &o) != nil {
		return Object{}, false
	}
	return o, true
}

func first(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var l []string
	if json.Unmarshal(raw, &l) == nil && len(l) > 0 {
		return l[0]
	}
	return ""
}

// URLOf returns an object's url: a string, a Link's href, or the first of a list (an HTML one preferred).
func URLOf(raw json.RawMessage) string {
	var l []struct {
		Href      string `json:"href"`
		MediaType string `json:"mediaType"`
	}
	if json.Unmarshal(raw, &l) == nil {
		for _, x := range l {
			if x.MediaType == "text/html" {
				return x.Href
			}
		}
	}
	return Ref(raw)
}

// ImageURL returns an Image's address (an icon: {"type": "Image", "url": ...}, a bare address, or the first of a
// list).
func ImageURL(raw json.RawMessage) string {
	var img struct {
		URL json.RawMessage `json:"url"`
	}
	if json.Unmarshal(raw, &img) == nil && len(img.URL) > 0 {
		return URLOf(img.URL)
	}
	var l []json.RawMessage
	if json.Unmarshal(raw, &l) == nil && len(l) > 0 {
		return ImageURL(l[0])
	}
	return Ref(raw)
}
