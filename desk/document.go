package desk

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"blog/content"
	"blog/repo/writing"
)

// The one encoding of a desk post: a Markdown document with YAML front matter, exactly as a file of the content
// folder holds it. The snapshot serves it (through content's own reader), versions keep it, `web posts export`
// writes it and `web posts import` reads it back.

// front is the front matter written for a desk post, in the order the README shows.
type front struct {
	Title     string   `yaml:"title"`
	Date      any      `yaml:"date,omitempty"`
	Summary   string   `yaml:"summary,omitempty"`
	Tags      []string `yaml:"tags,omitempty,flow"`
	Image     string   `yaml:"image,omitempty"`
	Draft     bool     `yaml:"draft,omitempty"`
	Comments  string   `yaml:"comments,omitempty"`
	Lang      string   `yaml:"lang,omitempty"`
	InReplyTo string   `yaml:"in_reply_to,omitempty"`
	Order     int      `yaml:"order,omitempty"`
	PublishAt any      `yaml:"publish_at,omitempty"`
}

// yamlTime writes a time as the content folder reads it: a date alone when it is midnight UTC, else the full
// time in UTC.
func yamlTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	u := t.UTC()
	if u.Equal(u.Truncate(24 * time.Hour)) {
		return u.Format(time.DateOnly)
	}
	return u
}

// Document is a writing's working copy as a Markdown document; draft marks it `draft: true`, publishAt (with
// draft) keeps when a scheduled post appears.
func Document(w writing.Writing, draft bool, publishAt *time.Time) string {
	fm := front{Title: w.Title, Date: yamlTime(w.Date), Summary: w.Summary, Tags: SplitTags(w.Tags), Image: w.Image,
		Draft: draft, Comments: w.Comments, Lang: w.Lang, InReplyTo: w.InReplyTo, Order: w.PageOrder}
	if draft {
		fm.PublishAt = yamlTime(publishAt)
	}
	head, err := yaml.Marshal(fm)
	if err != nil {
		// Only strings, a bool and times: yaml cannot fail on them.
		panic(fmt.Sprintf("desk: front matter: %v", err))
	}
	return "---\n" + string(head) + "---\n" + w.Body
}

// Parsed is a document read back: the fields of a writing, whether it is a draft, and when a scheduled post
// appears.
type Parsed struct {
	Writing   writing.Writing
	Draft     bool
	PublishAt *time.Time
}

// ParseDocument reads a document written by Document (or any post file of the content folder), by content's
// rules.
func ParseDocument(src []byte) (Parsed, error) {
	if len(src) > MaxBody+MaxFrontMatter {
		return Parsed{}, fmt.Errorf("longer than %d bytes", MaxBody+MaxFrontMatter)
	}
	fm, body, err := content.Split(src)
	if err != nil {
		return Parsed{}, err
	}
	if strings.TrimSpace(fm.Title) == "" {
		return Parsed{}, errors.New("front matter needs a title")
	}
	w := writing.Writing{Title: fm.Title, Summary: fm.Summary, Tags: strings.Join(fm.Tags, ", "), Image: fm.Image,
		Comments: fm.Comments, Lang: fm.Lang, InReplyTo: fm.InReplyTo, PageOrder: fm.Order, Body: string(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")))}
	if !fm.Date.IsZero() {
		d := fm.Date.UTC()
		w.Date = &d
	}
	p := Parsed{Writing: w, Draft: fm.Draft}
	if !fm.PublishAt.IsZero() {
		t := fm.PublishAt.UTC()
		p.PublishAt = &t
	}
	return p, nil
}

// SplitTags reads the tags field: tags separated by commas.
func SplitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
