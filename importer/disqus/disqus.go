// Package disqus reads a Disqus export (Admin → Community → Export, the XML file inside the archive it mails).
// The file declares its threads (pages) first, then its posts (comments), each naming its thread and its parent
// by Disqus id; messages are HTML.
package disqus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"blog/importer/source"
	"blog/importer/xmlrecord"
	"blog/repo"
)

// Reader reads a Disqus export one record at a time: it remembers each thread's address (within
// source.MaxHeld) and hands each post to the import as an item of that thread.
type Reader struct{}

// disqusPage is a thread of the file: its page's address, or why its posts cannot be imported.
type disqusPage struct{ link, bad string }

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

// disqusRank orders the records of a Disqus export as it writes them: categories, threads, posts. A record
// refers only to kinds before its own (a post names its thread), so the start of a record of the same kind or a
// later one means the element before it has ended.
var disqusRank = map[string]int{"category": 1, "thread": 2, "post": 3}

var disqusXML = xmlrecord.Config{Root: "disqus", Format: "Disqus export",
	Kind: func(path []xmlrecord.Open, name string) xmlrecord.Kind {
		if len(path) == 1 && disqusRank[name] > 0 {
			return xmlrecord.Record
		}
		return xmlrecord.Skip
	},
	Breaks: func(open, start string) bool {
		r := disqusRank[start]
		return r > 0 && open != "disqus" && r >= disqusRank[open]
	},
}

// Read hands each post of the export at path to emit, in file order; a record it cannot read is handed over
// as a malformed item.
func (Reader) Read(ctx context.Context, path string, emit func(source.Item) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := xmlrecord.NewScanner(f, disqusXML)
	threads := map[string]disqusPage{}
	mem := source.NewHeld("threads")
	for n := 1; ; n++ {
		if n%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ev, err := sc.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if ev.Kind == xmlrecord.Container {
			continue
		}
		at := fmt.Sprintf("line %d", ev.Line)
		bad := ev.Bad
		var p disqusPost
		var th disqusThread
		if bad == "" {
			switch ev.Name {
			case "thread":
				err = sc.Decode(ev, &th)
			case "post":
				err = sc.Decode(ev, &p)
			default:
				err = sc.Decode(ev, &struct{}{})
			}
			if err != nil {
				bad = "cannot be read: " + err.Error()
			}
		}
		switch {
		case bad != "":
			err = emit(source.Item{At: at, Malformed: "<" + ev.Name + "> " + bad})
		case ev.Name == "thread":
			err = disqusKeep(threads, &mem, th, at)
		case ev.Name == "post":
			err = emit(p.item(at, threads[p.Thread.id()]))
		}
		if err != nil {
			return err
		}
	}
}

// disqusKeep remembers a thread under its Disqus id and its page identifier, for the posts that follow.
func disqusKeep(threads map[string]disqusPage, mem *source.Held, th disqusThread, at string) error {
	link := strings.TrimSpace(th.Link)
	if link == "" {
		link = strings.TrimSpace(th.ID) // the page's identifier, often its address
	}
	page := disqusPage{link: link}
	if len(link) > source.MaxAddress {
		page = disqusPage{bad: fmt.Sprintf("the address of its thread (%s) is longer than %d bytes", at, source.MaxAddress)}
	}
	id := strings.TrimSpace(th.ID)
	if len(th.DsqID) > source.MaxAddress || len(id) > source.MaxAddress {
		return nil // no post could name it
	}
	if err := mem.Add(th.DsqID, id, page.link); err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	threads[th.DsqID] = page
	if id != "" {
		threads[id] = page
	}
	return nil
}

func (p disqusPost) item(at string, th disqusPage) source.Item {
	id := p.DsqID
	if id == "" {
		id = strings.TrimSpace(p.ID)
	}
	it := source.Item{ID: id, Parent: p.Parent.id(), Thread: th.link, Name: strings.TrimSpace(p.Author.Name),
		Email: p.Author.Email, Body: p.Message, Kind: source.HTML, State: repo.StatePublished, At: at}
	if it.Name == "" {
		it.Name = p.Author.Username
	}
	switch {
	case isTrue(p.IsSpam):
		it.State = repo.StateSpam
	case isTrue(p.IsDeleted):
		it.State = repo.StateDeleted
	}
	switch {
	case th.bad != "":
		it.Skip = th.bad
		return it
	case th.link == "":
		it.Skip = "its thread is not in the file"
		return it
	}
	created, err := source.ParseTime(p.CreatedAt)
	if err != nil {
		it.Skip = "unreadable date " + source.QuoteShort(p.CreatedAt)
	}
	it.Created = created
	return it
}

func isTrue(s string) bool {
	return strings.EqualFold(strings.TrimSpace(s), "true") || strings.TrimSpace(s) == "1"
}
