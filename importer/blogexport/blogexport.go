// Package blogexport writes the blog's own export and reads it back. The export is JSON lines, one record per
// line, documented in the README ("Export"):
//
//	{"format":"blog-export","version":1,"site":"…","exported_at":"…"}
//	{"type":"post","slug":"…","title":"…"}                  every post row
//	{"type":"user","email":"…","name":"…","created_at":"…"} every commenter
//	{"type":"comment","id":12,"post":"…","parent":7,…}      every comment, in id order (parents first)
//	{"type":"ban","kind":"email","value":"…",…}             every ban
//	{"type":"end","posts":1,"users":2,"comments":3,"bans":0}
//
// The end record lets an import tell a complete file from one cut short.
package blogexport

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"blog/importer/source"
	"blog/repo"
	"blog/repo/transfer"
)

// formatName and formatVersion are the header's "format" and "version"; the version goes up only when a field
// changes meaning.
const (
	formatName    = "blog-export"
	formatVersion = 1
)

type exportHeader struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Site       string    `json:"site"`
	ExportedAt time.Time `json:"exported_at"`
}

type exportRecord struct {
	Type string `json:"type"`
	// post
	Slug  string `json:"slug,omitempty"`
	Title string `json:"title,omitempty"`
	// user
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
	// comment
	ID       int64           `json:"id,omitempty"`
	Post     string          `json:"post,omitempty"`
	Parent   int64           `json:"parent,omitempty"`
	Body     *string         `json:"body,omitempty"`
	Format   string          `json:"format,omitempty"`
	State    string          `json:"state,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	IPHash   string          `json:"ip_hash,omitempty"`
	NetHash  string          `json:"net_hash,omitempty"`
	StateAt  *time.Time      `json:"state_at,omitempty"`
	EditedAt *time.Time      `json:"edited_at,omitempty"`
	Notify   bool            `json:"notify,omitempty"`
	ByOwner  bool            `json:"by_owner,omitempty"`
	Keys     []string        `json:"keys,omitempty"`
	Versions []exportVersion `json:"versions,omitempty"`
	// ban
	Kind  string `json:"kind,omitempty"`
	Value string `json:"value,omitempty"`
	Label string `json:"label,omitempty"`
	// user, comment, ban
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// end
	Posts    *int `json:"posts,omitempty"`
	Users    *int `json:"users,omitempty"`
	Comments *int `json:"comments,omitempty"`
	Bans     *int `json:"bans,omitempty"`
}

type exportVersion struct {
	Body       string    `json:"body"`
	Format     string    `json:"format"`
	ReplacedAt time.Time `json:"replaced_at"`
}

// Store is what an export reads (transfer.Imports).
type Store interface {
	SiteID(ctx context.Context) (string, error)
	Export(ctx context.Context, sink transfer.ExportSink) error
}

// Counts says how much an export wrote.
type Counts struct{ Posts, Users, Comments, Bans int }

// Export writes everything to w in the blog's export format.
func Export(ctx context.Context, src Store, w io.Writer, now time.Time) (Counts, error) {
	var n Counts
	site, err := src.SiteID(ctx)
	if err != nil {
		return n, err
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(exportHeader{Format: formatName, Version: formatVersion, Site: site, ExportedAt: now.UTC()}); err != nil {
		return n, err
	}
	err = src.Export(ctx, transfer.ExportSink{
		Post: func(p repo.Post) error {
			n.Posts++
			return enc.Encode(exportRecord{Type: "post", Slug: p.Slug, Title: p.Title})
		},
		User: func(u repo.User) error {
			n.Users++
			at := u.CreatedAt.UTC()
			return enc.Encode(exportRecord{Type: "user", Email: u.Email, Name: u.Username, CreatedAt: &at})
		},
		Comment: func(c transfer.Exported) error {
			n.Comments++
			rec := exportRecord{Type: "comment", ID: c.ID, Post: c.Slug, Email: c.Email, Name: c.Username, Body: &c.Body,
				Format: c.Format, State: c.State, Reason: c.Reason, IPHash: c.IPHash, NetHash: c.NetHash, CreatedAt: &c.CreatedAt,
				StateAt: utc(c.StateAt), EditedAt: utc(c.EditedAt), Keys: c.Keys, Notify: c.Notify, ByOwner: c.ByOwner}
			if c.ParentID != nil {
				rec.Parent = *c.ParentID
			}
			for _, v := range c.Versions {
				rec.Versions = append(rec.Versions, exportVersion{Body: v.Body, Format: v.Format, ReplacedAt: v.ReplacedAt.UTC()})
			}
			return enc.Encode(rec)
		},
		Ban: func(b repo.Ban) error {
			n.Bans++
			at := b.CreatedAt.UTC()
			return enc.Encode(exportRecord{Type: "ban", Kind: b.Kind, Value: b.Value, Label: b.Label, CreatedAt: &at})
		},
	})
	if err != nil {
		return n, err
	}
	if err := enc.Encode(exportRecord{Type: "end", Posts: &n.Posts, Users: &n.Users, Comments: &n.Comments, Bans: &n.Bans}); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Reader reads the blog's own export. Comments keep everything: ids (into a database without comments), states
// and their reasons, address hashes, edits and earlier versions, the keys they were imported under.
type Reader struct{}

// maxExportLine bounds one record: a comment of source.MaxImportedBody characters with a few versions fits easily.
const maxExportLine = 4 << 20

// Read hands the header, then each commenter, comment and ban of the export at path to emit, in file order; a
// record it cannot read refuses the file.
func (Reader) Read(ctx context.Context, path string, emit func(source.Item) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), maxExportLine)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return err
		}
		return errors.New("the file is empty")
	}
	var h exportHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != formatName {
		return errors.New("line 1: not an export of this blog (no \"format\":\"blog-export\" header)")
	}
	if h.Version > formatVersion || h.Version < 1 {
		return fmt.Errorf("line 1: export version %d; this blog reads version %d (upgrade the blog first)", h.Version, formatVersion)
	}
	if h.Site == "" {
		return errors.New("line 1: the header names no site")
	}
	if err := emit(source.Item{Site: h.Site}); err != nil {
		return err
	}
	var n Counts
	ended := false
	line := 2
	for ; sc.Scan(); line++ {
		if ended {
			return fmt.Errorf("line %d: records after the end record", line)
		}
		var rec exportRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		at := "line " + strconv.Itoa(line)
		var it source.Item
		switch rec.Type {
		case "post":
			if rec.Slug == "" {
				return fmt.Errorf("%s: a post without a slug", at)
			}
			n.Posts++
			continue // posts are created when their comments need them
		case "user":
			n.Users++
			email := source.CleanEmail(rec.Email)
			if email == "" || rec.CreatedAt == nil {
				return fmt.Errorf("%s: a user needs a valid email and created_at", at)
			}
			it = source.Item{User: &repo.User{Email: email, Username: source.CleanName(rec.Name), CreatedAt: rec.CreatedAt.UTC()}}
		case "comment":
			n.Comments++
			c, err := rec.comment(at)
			if err != nil {
				return err
			}
			it = source.Item{ID: strconv.FormatInt(rec.ID, 10), Post: rec.Post, At: at, Exact: c, State: c.State}
			if rec.Parent != 0 {
				it.Parent = strconv.FormatInt(rec.Parent, 10)
			}
		case "ban":
			n.Bans++
			if rec.Kind == "" || rec.Value == "" || rec.CreatedAt == nil {
				return fmt.Errorf("%s: a ban needs kind, value and created_at", at)
			}
			it = source.Item{Ban: &repo.Ban{Kind: rec.Kind, Value: rec.Value, Label: rec.Label, CreatedAt: rec.CreatedAt.UTC()}}
		case "end":
			ended = true
			want := Counts{deref(rec.Posts), deref(rec.Users), deref(rec.Comments), deref(rec.Bans)}
			if want != n {
				return fmt.Errorf("%s: the end record counts %+v but the file holds %+v", at, want, n)
			}
			continue
		default:
			return fmt.Errorf("%s: unknown record type %q", at, rec.Type)
		}
		if err := emit(it); err != nil {
			return err
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("line %d: longer than %s, more than any record of an export", line, source.SizeName(maxExportLine))
	} else if err != nil {
		return err
	}
	if !ended {
		return errors.New("no end record: the file is cut short")
	}
	return nil
}

func deref(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// comment checks a comment record and returns it as it will be stored.
func (rec exportRecord) comment(at string) (*transfer.ImportedComment, error) {
	switch {
	case rec.ID <= 0:
		return nil, fmt.Errorf("%s: a comment needs a positive id", at)
	case rec.Post == "":
		return nil, fmt.Errorf("%s: comment %d names no post", at, rec.ID)
	case rec.Body == nil || rec.CreatedAt == nil:
		return nil, fmt.Errorf("%s: comment %d needs body and created_at", at, rec.ID)
	case !repo.ValidState(rec.State):
		return nil, fmt.Errorf("%s: comment %d has an unknown state %q", at, rec.ID, rec.State)
	case rec.Format != repo.FormatText && rec.Format != repo.FormatMarkdown:
		return nil, fmt.Errorf("%s: comment %d has an unknown format %q", at, rec.ID, rec.Format)
	}
	email := source.CleanEmail(rec.Email)
	if email == "" {
		return nil, fmt.Errorf("%s: comment %d has no valid email", at, rec.ID)
	}
	c := &transfer.ImportedComment{Keys: rec.Keys, ID: rec.ID, Username: source.CleanName(rec.Name), Email: email, Body: source.CleanText(*rec.Body),
		Format: rec.Format, State: rec.State, Reason: rec.Reason, IPHash: rec.IPHash, NetHash: rec.NetHash,
		CreatedAt: rec.CreatedAt.UTC(), StateAt: utc(rec.StateAt), EditedAt: utc(rec.EditedAt), Notify: rec.Notify,
		ByOwner: rec.ByOwner}
	for _, v := range rec.Versions {
		c.Versions = append(c.Versions, repo.Version{Body: v.Body, Format: v.Format, ReplacedAt: v.ReplacedAt.UTC()})
	}
	return c, nil
}
