// Package wordpress reads a WordPress export (WXR: Tools → Export → All content): each <item> is a post or page
// with its comments inside it.
package wordpress

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

// Reader reads a WordPress export. WordPress's exporter writes imperfect XML (HTML entities such as &nbsp;,
// stray ampersands, control characters pasted into comments), so the file is read leniently wherever it is
// still unambiguous; a file that ends early or is not an export is refused.
//
// The post's address is read from its item before its comments, which is where WordPress writes
// them; each comment is a record of its own, so a post with thousands of comments is never held whole.
type Reader struct{}

type wpComment struct {
	ID       string `xml:"comment_id"`
	Author   string `xml:"comment_author"`
	Email    string `xml:"comment_author_email"`
	Date     string `xml:"comment_date"`
	DateGMT  string `xml:"comment_date_gmt"`
	Content  string `xml:"comment_content"`
	Approved string `xml:"comment_approved"`
	Type     string `xml:"comment_type"`
	Parent   string `xml:"comment_parent"`
}

// wpPost is what a comment needs of the item it is in.
type wpPost struct{ link string }

var wordpressXML = xmlrecord.Config{Root: "rss", Format: "WordPress export", Lenient: true,
	Kind: func(path []xmlrecord.Open, name string) xmlrecord.Kind {
		last := path[len(path)-1].Name
		switch {
		case last == "item" && (name == "link" || name == "comment"):
			return xmlrecord.Record
		case name == "item" || len(path) == 1 && name == "channel":
			return xmlrecord.Container
		}
		return xmlrecord.Skip
	},
	// A new item, or a comment inside anything but an item, means the element open has ended.
	Breaks: func(open, start string) bool {
		return start == "item" && open != "rss" && open != "channel" || start == "comment" && open != "item" && open != "rss" && open != "channel"
	},
}

// Read hands each comment of the export at path to emit, in file order; a record it cannot read is handed
// over as a malformed item.
func (Reader) Read(ctx context.Context, path string, emit func(source.Item) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := xmlrecord.NewScanner(f, wordpressXML)
	var post wpPost
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
			if ev.Name == "item" {
				post = wpPost{}
			}
			continue
		}
		at := fmt.Sprintf("line %d", ev.Line)
		if ev.Bad != "" {
			if err := emit(source.Item{At: at, Malformed: wpName(ev.Name) + " " + ev.Bad}); err != nil {
				return err
			}
			continue
		}
		if ev.Name != "comment" {
			var field struct {
				Text string `xml:",chardata"`
			}
			if err := sc.Decode(ev, &field); err != nil {
				if err := emit(source.Item{At: at, Malformed: wpName(ev.Name) + " cannot be read: " + err.Error()}); err != nil {
					return err
				}
				continue
			}
			post.link = strings.TrimSpace(field.Text)
			continue
		}
		var c wpComment
		if err := sc.Decode(ev, &c); err != nil {
			if err := emit(source.Item{At: at, Malformed: "<wp:comment> cannot be read: " + err.Error()}); err != nil {
				return err
			}
			continue
		}
		if id := strings.TrimSpace(c.ID); id != "" {
			at = fmt.Sprintf("comment_id %s (line %d)", id, ev.Line)
		}
		if err := emit(c.item(post, at)); err != nil {
			return err
		}
	}
}

// wpName names an element of a WXR file as WordPress writes it.
func wpName(local string) string {
	if local == "comment" {
		return "<wp:comment>"
	}
	return "<" + local + ">"
}

func (c wpComment) item(post wpPost, at string) source.Item {
	it := source.Item{ID: strings.TrimSpace(c.ID), Thread: post.link, Name: strings.TrimSpace(c.Author),
		Email: c.Email, Body: c.Content, Kind: source.WordPress, State: repo.StatePublished, At: at}
	if p := strings.TrimSpace(c.Parent); p != "" && p != "0" {
		it.Parent = p
	}
	switch strings.ToLower(strings.TrimSpace(c.Approved)) {
	case "1", "approve", "approved":
	case "0", "hold":
		it.State = repo.StatePending
	case "spam":
		it.State = repo.StateSpam
	default: // trash, post-trashed
		it.State = repo.StateDeleted
	}
	switch strings.ToLower(strings.TrimSpace(c.Type)) {
	case "pingback", "trackback":
		it.Skip = "pingback or trackback"
		return it
	}
	if post.link == "" {
		it.Skip = "its post has no address"
		return it
	}
	date := strings.TrimSpace(c.DateGMT)
	if date == "" || strings.HasPrefix(date, "0000") {
		date = c.Date // the blog's local time: all WordPress knew
	}
	t, err := source.ParseTime(date)
	if err != nil {
		it.Skip = "unreadable date " + source.QuoteShort(date)
	}
	it.Created = t
	return it
}
