package importer

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"blog/repo"
)

// Remark42 reads a Remark42 backup: the gzipped file it writes every day into its backup folder (or the same
// content uncompressed). Its first JSON value describes the site; every one after it is a comment, with its
// text both as typed (Markdown, "orig") and as shown (HTML, "text").
type Remark42 struct{}

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

func (Remark42) Read(ctx context.Context, path string, emit func(Item) error) error {
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
		r = gz
	}
	dec := json.NewDecoder(r)
	var meta map[string]json.RawMessage
	if err := dec.Decode(&meta); err != nil {
		return fmt.Errorf("not a Remark42 backup: the first value is not its header: %w", err)
	}
	_, users := meta["users"]
	_, posts := meta["posts"]
	_, comments := meta["comments"]
	var version int
	if err := json.Unmarshal(meta["version"], &version); err != nil || !(users || posts) || comments {
		return errors.New("not a Remark42 backup: the first value is not its header (version, users, posts)")
	}
	if version > 1 {
		return fmt.Errorf("Remark42 backup version %d is newer than this importer knows (1)", version)
	}
	for n := 1; ; n++ {
		var c remarkComment
		err := dec.Decode(&c)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("comment %d (byte %d): %w", n, dec.InputOffset(), err)
		}
		if err := emit(c.item(fmt.Sprintf("comment %d (id %s)", n, c.ID))); err != nil {
			return err
		}
	}
}

func (c remarkComment) item(at string) Item {
	it := Item{ID: c.ID, Parent: c.PID, Thread: c.Locator.URL, Title: c.Title, Name: c.User.Name, Email: c.User.Email,
		Body: c.Orig, Kind: Markdown, Created: c.Time, State: repo.StatePublished, At: at}
	if strings.TrimSpace(c.Orig) == "" {
		it.Body, it.Kind = c.Text, HTML
	}
	if c.Deleted {
		it.State = repo.StateDeleted
	}
	if it.Thread == "" {
		it.Skip = "no page address"
	}
	return it
}
