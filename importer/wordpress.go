package importer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/net/html/charset"

	"blog/repo"
)

// WordPressSource reads a WordPress export (WXR: Tools → Export → All content). Each <item> is a post or
// page with its comments inside it. WordPress's exporter writes imperfect XML (HTML entities such as &nbsp;,
// stray ampersands, control characters pasted into comments), so the file is read leniently wherever it is
// still unambiguous; a file that ends early or is not an export is refused.
type WordPressSource struct{}

type wpItem struct {
	Title    string      `xml:"title"`
	Link     string      `xml:"link"`
	PostName string      `xml:"post_name"`
	Comments []wpComment `xml:"comment"`
}

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

func (WordPressSource) Read(ctx context.Context, path string, emit func(Item) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := xml.NewDecoder(&xmlCharsOnly{r: bufio.NewReader(f)})
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = charset.NewReaderLabel
	depth, root, items := 0, "", 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			switch {
			case root == "":
				return errors.New("not a WordPress export: the file is empty")
			case depth > 0:
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
				return errors.New("not a WordPress export: the file is not XML")
			}
		case xml.StartElement:
			line, _ := dec.InputPos()
			if depth == 0 {
				root = t.Name.Local
				if root != "rss" {
					return fmt.Errorf("line %d: not a WordPress export: the document is <%s>, not <rss>", line, root)
				}
			}
			if t.Name.Local != "item" {
				depth++
				continue
			}
			var it wpItem
			if err := dec.DecodeElement(&it, &t); err != nil {
				return fmt.Errorf("item at line %d: %w", line, xmlError(dec, err))
			}
			items++
			for i, c := range it.Comments {
				at := fmt.Sprintf("post %q comment %d", strings.TrimSpace(it.Title), i+1)
				if id := strings.TrimSpace(c.ID); id != "" {
					at = fmt.Sprintf("comment_id %s (line %d)", id, line)
				}
				if err := emit(c.item(it, at)); err != nil {
					return err
				}
			}
		case xml.EndElement:
			depth--
		}
	}
}

func (c wpComment) item(post wpItem, at string) Item {
	link := strings.TrimSpace(post.Link)
	it := Item{ID: strings.TrimSpace(c.ID), Thread: link, Title: strings.TrimSpace(post.Title), Name: strings.TrimSpace(c.Author),
		Email: c.Email, Body: c.Content, Kind: WordPress, State: repo.StatePublished, At: at}
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
	if link == "" {
		it.Skip = "its post has no address"
		return it
	}
	date := strings.TrimSpace(c.DateGMT)
	if date == "" || strings.HasPrefix(date, "0000") {
		date = c.Date // the blog's local time: all WordPress knew
	}
	t, err := parseTime(date)
	if err != nil {
		it.Skip = "unreadable date " + quoteShort(date)
	}
	it.Created = t
	return it
}

// xmlCharsOnly drops the bytes XML 1.0 does not allow (control characters other than tab and line ends), which
// WordPress copies into exports from pasted comments. They are single bytes in UTF-8, never part of another
// character, so dropping them byte by byte is safe.
type xmlCharsOnly struct{ r io.Reader }

func (x *xmlCharsOnly) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	j := 0
	for _, b := range p[:n] {
		if b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
			continue
		}
		p[j] = b
		j++
	}
	return j, err
}
