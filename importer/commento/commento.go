// Package commento reads Commento's JSON export (Dashboard → General → Export data, the file it mails).
package commento

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"blog/importer/source"
	"blog/repo"
)

// Reader reads Commento's JSON export: an object whose "comments" array holds the comments (Markdown) and whose
// "commenters" array holds their authors. The commenters are read in a first pass, so that the comments can then
// be streamed whatever the order of the two.
type Reader struct{}

type commentoComment struct {
	CommentHex   string `json:"commentHex"`
	Domain       string `json:"domain"`
	URL          string `json:"url"`
	Path         string `json:"path"`
	CommenterHex string `json:"commenterHex"`
	Markdown     string `json:"markdown"`
	HTML         string `json:"html"`
	ParentHex    string `json:"parentHex"`
	State        string `json:"state"`
	CreationDate string `json:"creationDate"`
	Deleted      bool   `json:"deleted"`
}

type commentoCommenter struct {
	CommenterHex string `json:"commenterHex"`
	Email        string `json:"email"`
	Name         string `json:"name"`
}

// Read hands each comment of the export at path to emit, in the order of the file's "comments" array; a
// record it cannot read is handed over as a malformed item.
func (Reader) Read(ctx context.Context, path string, emit func(source.Item) error) error {
	people := map[string]commentoCommenter{}
	mem := source.NewHeld("commenters")
	found := false
	err := commentoArray(path, "commenters", func(dec *json.Decoder, n int) error {
		var c commentoCommenter
		if err := dec.Decode(&c); err != nil {
			if isTypeError(err) {
				return emit(source.Item{At: fmt.Sprintf("commenter %d", n), Malformed: "cannot be read: " + err.Error()})
			}
			return fmt.Errorf("commenter %d: %w", n, err)
		}
		if len(c.CommenterHex) > source.MaxID || len(c.Email) > source.MaxAddress || len(c.Name) > source.MaxAddress {
			return emit(source.Item{At: fmt.Sprintf("commenter %d", n), Malformed: fmt.Sprintf("its id, email or name is too long (more than %d bytes)", source.MaxAddress)})
		}
		if err := mem.Add(c.CommenterHex, c.Email, c.Name); err != nil {
			return fmt.Errorf("commenter %d: %w", n, err)
		}
		people[c.CommenterHex] = c
		return nil
	}, nil)
	if err != nil {
		return err
	}
	return commentoArray(path, "comments", func(dec *json.Decoder, n int) error {
		if n%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var c commentoComment
		if err := dec.Decode(&c); err != nil {
			if isTypeError(err) {
				return emit(source.Item{At: fmt.Sprintf("comment %d", n), Malformed: "cannot be read: " + err.Error()})
			}
			return fmt.Errorf("comment %d: %w", n, err)
		}
		return emit(c.item(people[c.CommenterHex], fmt.Sprintf("comment %d (%s)", n, source.ShortID(c.CommentHex))))
	}, &found)
}

// isTypeError reports a value of the wrong type ("deleted": "yes"): the decoder has read past the whole record,
// so the next one can still be read.
func isTypeError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

// commentArray streams the elements of the top-level array named key to each, skipping everything else
// element by element (never holding a whole array, nor more than source.MaxRecord of one value).
func commentoArray(path, key string, each func(dec *json.Decoder, n int) error, found *bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	in := &jsonBound{r: bufio.NewReader(f)}
	dec := json.NewDecoder(in)
	in.dec = dec
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not a Commento export: the file is not a JSON object")
	}
	sawVersion := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("byte %d: %w", dec.InputOffset(), err)
		}
		name, _ := tok.(string)
		switch {
		case name == key:
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				if tok == nil && err == nil {
					continue // null
				}
				return fmt.Errorf("%q is not a list (byte %d)", key, dec.InputOffset())
			}
			for n := 1; dec.More(); n++ {
				if err := each(dec, n); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return fmt.Errorf("byte %d: %w", dec.InputOffset(), err)
			}
			if found != nil {
				*found = true
			}
		case name == "version":
			sawVersion = true
			if err := skipValue(dec); err != nil {
				return err
			}
		default:
			if err := skipValue(dec); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("the file is cut short: %w", err)
	}
	if !sawVersion {
		return errors.New("not a Commento export: no \"version\" field")
	}
	if found != nil && !*found {
		return errors.New("not a Commento export: no \"comments\" list")
	}
	return nil
}

// jsonBound feeds a json.Decoder and stops it, with errRecordTooLong, once it holds more than source.MaxRecord bytes
// it has not yet handed over: a single value (a string, or a comment being decoded) longer than that.
type jsonBound struct {
	r    io.Reader
	dec  *json.Decoder
	read int64
}

var errRecordTooLong = fmt.Errorf("a value longer than %s", source.SizeName(source.MaxRecord))

func (b *jsonBound) Read(p []byte) (int, error) {
	room := source.MaxRecord + 1 - (b.read - b.dec.InputOffset())
	if room <= 0 {
		return 0, errRecordTooLong
	}
	p = p[:min(int64(len(p)), 64<<10, room)]
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// skipValue reads past one JSON value, token by token.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the file is cut short")
			}
			return fmt.Errorf("byte %d: %w", dec.InputOffset(), err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

func (c commentoComment) item(who commentoCommenter, at string) source.Item {
	page := c.URL
	if page == "" {
		page = c.Path
	}
	it := source.Item{ID: c.CommentHex, Thread: page, Name: who.Name, Email: who.Email, Body: c.Markdown, Kind: source.Markdown,
		State: repo.StatePublished, At: at}
	if c.Domain != "" && strings.HasPrefix(page, "/") {
		it.Thread = "https://" + c.Domain + page
	}
	if c.CommenterHex == "anonymous" || who.CommenterHex == "" {
		it.Name, it.Email = "Anonymous", ""
	}
	if strings.TrimSpace(c.Markdown) == "" && c.HTML != "" {
		it.Body, it.Kind = c.HTML, source.HTML
	}
	if c.ParentHex != "" && c.ParentHex != "root" {
		it.Parent = c.ParentHex
	}
	switch {
	case c.Deleted:
		it.State = repo.StateDeleted
	case c.State == "unapproved":
		it.State = repo.StatePending
	case c.State == "flagged":
		it.State = repo.StateSpam
	}
	if page == "" {
		it.Skip = "no page address"
		return it
	}
	t, err := source.ParseTime(c.CreationDate)
	if err != nil {
		it.Skip = "unreadable date " + source.QuoteShort(c.CreationDate)
	}
	it.Created = t
	return it
}
