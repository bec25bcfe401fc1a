// Package remark42 reads a Remark42 backup: the gzipped file it writes every day into its backup folder (or the
// same content uncompressed).
package remark42

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"blog/importer/source"
	"blog/repo"
)

// Reader reads a Remark42 backup, a line at a time. A backup is JSON lines: the first describes the site; every
// one after it is a comment, with its text both as typed (Markdown, "orig") and as shown (HTML, "text"). A line
// that cannot be read is a malformed record; the next line starts the next comment.
type Reader struct{}

const (
	// maxHeader bounds the first line of a Remark42 backup, which lists every post and user of the site.
	maxHeader = 16 << 20
	// maxUnpacked bounds what a compressed Remark42 backup may unpack to (a small file that unpacks to
	// gigabytes is refused when it passes this).
	maxUnpacked = 1 << 30
)

type remarkComment struct {
	ID   string `json:"id"`
	PID  string `json:"pid"`
	Text string `json:"text"`
	Orig string `json:"orig"`
	User struct {
		Name  string `json:"name"`
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	Locator struct {
		URL string `json:"url"`
	} `json:"locator"`
	Time    time.Time `json:"time"`
	Deleted bool      `json:"delete"`
	Title   string    `json:"title"`
}

// Read hands each comment of the backup at path to emit, in file order; a line it cannot read is handed over
// as a malformed item.
func (Reader) Read(ctx context.Context, path string, emit func(source.Item) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		r = &unpackLimit{r: gz, left: maxUnpacked}
	}
	lines := newLineReader(r)
	header, err := lines.next(maxHeader)
	if errors.Is(err, io.EOF) {
		return errors.New("not a Remark42 backup: the file is empty")
	}
	if err != nil {
		return err
	}
	if err := remarkHeader(header.text, header.long); err != nil {
		return err
	}
	for n := 1; ; {
		if n%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l, err := lines.next(source.MaxRecord)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if l.blank() {
			continue
		}
		at := fmt.Sprintf("line %d", l.n)
		if l.long {
			if err := emit(source.Item{At: at, Malformed: fmt.Sprintf("longer than %s", source.SizeName(source.MaxRecord))}); err != nil {
				return err
			}
			n++
			continue
		}
		var c remarkComment
		if err := json.Unmarshal(l.text, &c); err != nil {
			if l.last && strings.Contains(err.Error(), "unexpected end of JSON input") {
				return fmt.Errorf("%s: comment %d ends in the middle: the file is cut short", at, n)
			}
			if err := emit(source.Item{At: at, Malformed: "comment " + strconv.Itoa(n) + " cannot be read: " + err.Error()}); err != nil {
				return err
			}
			n++
			continue
		}
		if err := emit(c.item(fmt.Sprintf("line %d (comment %d, id %s)", l.n, n, source.ShortID(c.ID)))); err != nil {
			return err
		}
		n++
	}
}

// remarkHeader checks the first line of a backup: Remark42 writes its version and the site's users and posts.
func remarkHeader(line []byte, long bool) error {
	if long {
		return fmt.Errorf("line 1: not a Remark42 backup: its header is longer than %s", source.SizeName(maxHeader))
	}
	var h struct {
		Version  *int     `json:"version"`
		Users    jsonSeen `json:"users"`
		Posts    jsonSeen `json:"posts"`
		Comments jsonSeen `json:"comments"`
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return fmt.Errorf("not a Remark42 backup: the first value is not its header: %w", err)
	}
	if h.Version == nil || !(h.Users || h.Posts) || h.Comments {
		return errors.New("not a Remark42 backup: the first value is not its header (version, users, posts)")
	}
	if *h.Version > 1 {
		return fmt.Errorf("Remark42 backup version %d is newer than this importer knows (1)", *h.Version)
	}
	return nil
}

// jsonSeen notes that a field is present without keeping its value (a backup's header lists every user).
type jsonSeen bool

func (s *jsonSeen) UnmarshalJSON([]byte) error {
	*s = true
	return nil
}

// unpackLimit ends a compressed stream with an error once it has given more than left bytes.
type unpackLimit struct {
	r    io.Reader
	left int64
}

func (u *unpackLimit) Read(p []byte) (int, error) {
	if u.left <= 0 {
		return 0, fmt.Errorf("the backup unpacks to more than %s; the importer reads no more than that",
			source.SizeName(maxUnpacked))
	}
	if int64(len(p)) > u.left {
		p = p[:u.left]
	}
	n, err := u.r.Read(p)
	u.left -= int64(n)
	return n, err
}

func (c remarkComment) item(at string) source.Item {
	it := source.Item{ID: c.ID, Parent: c.PID, Thread: c.Locator.URL, Title: c.Title, Name: c.User.Name, Email: c.User.Email,
		Body: c.Orig, Kind: source.Markdown, Created: c.Time, State: repo.StatePublished, At: at}
	if strings.TrimSpace(c.Orig) == "" {
		it.Body, it.Kind = c.Text, source.HTML
	}
	if c.Deleted {
		it.State = repo.StateDeleted
	}
	if it.Thread == "" {
		it.Skip = "no page address"
	}
	return it
}
