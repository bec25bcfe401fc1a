package importer

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"blog/repo"
)

// Disqus reads a Disqus export (Admin → Community → Export, the XML file inside the archive it mails). The
// file declares its threads (pages) first, then its posts (comments), each naming its thread and its parent
// by Disqus id; messages are HTML.
type Disqus struct{}

type disqusPage struct{ link, title string }

type disqusRef struct {
	DsqID string `xml:"http://disqus.com/disqus-internals id,attr"`
	Text  string `xml:",chardata"`
}

func (r disqusRef) id() string {
	if r.DsqID != "" {
		return r.DsqID
	}
	return strings.TrimSpace(r.Text)
}

type disqusThread struct {
	DsqID     string `xml:"http://disqus.com/disqus-internals id,attr"`
	ID        string `xml:"id"`
	Link      string `xml:"link"`
	Title     string `xml:"title"`
	IsDeleted bool   `xml:"isDeleted"`
}

type disqusPost struct {
	DsqID     string    `xml:"http://disqus.com/disqus-internals id,attr"`
	ID        string    `xml:"id"`
	Message   string    `xml:"message"`
	CreatedAt string    `xml:"createdAt"`
	IsDeleted string    `xml:"isDeleted"`
	IsSpam    string    `xml:"isSpam"`
	Thread    disqusRef `xml:"thread"`
	Parent    disqusRef `xml:"parent"`
	Author    struct {
		Email    string `xml:"email"`
		Name     string `xml:"name"`
		Username string `xml:"username"`
	} `xml:"author"`
}

func (Disqus) Read(ctx context.Context, path string, emit func(Item) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	threads := map[string]disqusPage{}
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return errors.New("the file ends inside an element: it is cut short")
			}
			return nil
		}
		if err != nil {
			return xmlError(dec, err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return errors.New("not a Disqus export: the file is not XML")
			}
		case xml.StartElement:
			line, _ := dec.InputPos()
			if depth == 0 {
				if t.Name.Local != "disqus" {
					return fmt.Errorf("line %d: not a Disqus export: the document is <%s>, not <disqus>", line, t.Name.Local)
				}
				depth++
				continue
			}
			at := fmt.Sprintf("line %d", line)
			switch t.Name.Local {
			case "thread":
				var th disqusThread
				if err := dec.DecodeElement(&th, &t); err != nil {
					return fmt.Errorf("thread at %s: %w", at, xmlError(dec, err))
				}
				link := strings.TrimSpace(th.Link)
				if link == "" {
					link = strings.TrimSpace(th.ID) // the page's identifier, often its address
				}
				threads[th.DsqID] = disqusPage{link: link, title: strings.TrimSpace(th.Title)}
				if id := strings.TrimSpace(th.ID); id != "" {
					threads[id] = threads[th.DsqID]
				}
			case "post":
				var p disqusPost
				if err := dec.DecodeElement(&p, &t); err != nil {
					return fmt.Errorf("post at %s: %w", at, xmlError(dec, err))
				}
				if err := emit(p.item(at, threads[p.Thread.id()])); err != nil {
					return err
				}
			default:
				if err := dec.Skip(); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
}

func (p disqusPost) item(at string, th disqusPage) Item {
	id := p.DsqID
	if id == "" {
		id = strings.TrimSpace(p.ID)
	}
	it := Item{ID: id, Parent: p.Parent.id(), Thread: th.link, Title: th.title, Name: strings.TrimSpace(p.Author.Name),
		Email: p.Author.Email, Body: p.Message, Kind: HTML, State: repo.StatePublished, At: at}
	if it.Name == "" {
		it.Name = p.Author.Username
	}
	switch {
	case isTrue(p.IsSpam):
		it.State = repo.StateSpam
	case isTrue(p.IsDeleted):
		it.State = repo.StateDeleted
	}
	if th.link == "" {
		it.Skip = "its thread is not in the file"
		return it
	}
	created, err := parseTime(p.CreatedAt)
	if err != nil {
		it.Skip = "unreadable date " + quoteShort(p.CreatedAt)
	}
	it.Created = created
	return it
}

// xmlError says where a file stopped being readable, and that it is cut short when it ends early.
func xmlError(dec *xml.Decoder, err error) error {
	line, col := dec.InputPos()
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected EOF") {
		return fmt.Errorf("line %d: the file ends in the middle of an element: it is cut short", line)
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

func isTrue(s string) bool {
	return strings.EqualFold(strings.TrimSpace(s), "true") || strings.TrimSpace(s) == "1"
}

// parseTime reads the dates sources write: RFC 3339 with or without a zone (UTC when absent), or
// "2006-01-02 15:04:05".
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05.999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable date %q", s)
}

func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
