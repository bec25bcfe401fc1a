// Package i18n holds the words the blog shows its readers, in every language it ships: one catalogue file per
// language (locales/*.toml, embedded), plural forms by the CLDR rules (go-i18n), numbers through
// golang.org/x/text and dates by each catalogue's own patterns. A Locale is found once per language and kept;
// looking up a word is a map read.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var files embed.FS

// Default is the language of the blog when SITE_LANG is not set, and the catalogue every other one falls back to
// for a word it lacks.
const Default = "en"

// Catalogue is every shipped language's words. It knows its languages from the embedded files' names; a
// language's file is read the first time a locale needs its words (English, which every other falls back to,
// with the first), so a blog written in one language never holds the other eight.
type Catalogue struct {
	fsys    fs.FS
	tags    []language.Tag
	files   map[string]string // file name by tag
	matcher language.Matcher

	mu sync.Mutex
	// raw holds each language read so far: its messages as written (every plural form), by id.
	raw     map[string]map[string]*goi18n.Message
	locales map[string]*Locale
}

var load = sync.OnceValues(func() (*Catalogue, error) { return read(files) })

// Shipped returns the catalogue of the shipped languages. The files are part of the binary, so an error here (or
// in reading a language later) is a broken build, which the package's tests catch.
func Shipped() *Catalogue {
	c, err := load()
	if err != nil {
		panic("i18n: " + err.Error())
	}
	return c
}

// read lists the catalogue files of fsys (locales/TAG.toml) and reads English.
func read(fsys fs.FS) (*Catalogue, error) {
	c := &Catalogue{fsys: fsys, files: map[string]string{}, raw: map[string]map[string]*goi18n.Message{},
		locales: map[string]*Locale{}}
	names, err := fs.Glob(fsys, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	// English first: it is the language the matcher falls back to.
	sort.Slice(names, func(i, j int) bool {
		return path.Base(names[i]) == Default+".toml" || (path.Base(names[j]) != Default+".toml" && names[i] < names[j])
	})
	for _, name := range names {
		// The tag as go-i18n reads it from the file's name.
		tag := language.Make(strings.TrimSuffix(path.Base(name), path.Ext(name)))
		c.files[tag.String()] = name
		c.tags = append(c.tags, tag)
	}
	if _, err := c.messages(Default); err != nil {
		return nil, err
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// messages returns the messages of the shipped language tag, reading its file the first time; nil for a
// language that does not ship. c.mu must be held, except in read.
func (c *Catalogue) messages(tag string) (map[string]*goi18n.Message, error) {
	if msgs, ok := c.raw[tag]; ok {
		return msgs, nil
	}
	name, ok := c.files[tag]
	if !ok {
		if tag == Default {
			return nil, fmt.Errorf("no %s catalogue", Default)
		}
		return nil, nil
	}
	b, err := fs.ReadFile(c.fsys, name)
	if err != nil {
		return nil, err
	}
	// The messages as written: the blog fills placeholders itself (Locale.F, N), so go-i18n's bundle, which
	// parses each message as a template, is not needed.
	mf, err := goi18n.ParseMessageFileBytes(b, name, map[string]goi18n.UnmarshalFunc{"toml": toml.Unmarshal})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	msgs := make(map[string]*goi18n.Message, len(mf.Messages))
	for _, m := range mf.Messages {
		msgs[m.ID] = m
	}
	c.raw[tag] = msgs
	return msgs, nil
}

// mustMessages is messages for callers that cannot fail: the files are part of the binary.
func (c *Catalogue) mustMessages(tag string) map[string]*goi18n.Message {
	msgs, err := c.messages(tag)
	if err != nil {
		panic("i18n: " + err.Error())
	}
	return msgs
}

// Languages are the tags of the shipped catalogues, English first.
func (c *Catalogue) Languages() []string {
	out := make([]string, len(c.tags))
	for i, t := range c.tags {
		out[i] = t.String()
	}
	return out
}

// For returns the Locale for lang, a BCP 47 tag (an invalid or empty one is English). The page keeps lang as
// given (its <html lang>); the words come from the closest shipped catalogue, and from English where none is
// close. Locales are kept: lang comes from the configuration and the posts' front matter, never from a request.
func (c *Catalogue) For(lang string) *Locale {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.locales[lang]; ok {
		return l
	}
	l := c.build(lang)
	c.locales[lang] = l
	return l
}

func (c *Catalogue) build(lang string) *Locale {
	tag, err := language.Parse(lang)
	if err != nil || lang == "" {
		tag, lang = language.English, Default
	}
	words := language.English
	if m, _, conf := c.matcher.Match(tag); conf >= language.High {
		words = c.tags[indexOf(c.tags, m)]
	}
	l := &Locale{Lang: tag.String(), Words: words.String(), dir: direction(tag),
		tag:   words,
		plain: map[string]string{}, plural: map[string]bool{}, says: map[string]string{}, forms: map[string]map[string]string{}}
	english, own := c.mustMessages(Default), c.mustMessages(words.String())
	for id, m := range english {
		if isPlural(m) {
			l.plural[id] = true
			form := m
			if t, ok := own[id]; ok {
				form = t
			}
			l.forms[id] = map[string]string{"zero": form.Zero, "one": form.One, "two": form.Two, "few": form.Few,
				"many": form.Many, "other": form.Other}
			if strings.HasPrefix(id, "says.") {
				// A sentence with a count ("1 minute", "15 minutes"): found by the shape of each English form, said
				// in the form the language uses for the count.
				for _, english := range []string{m.One, m.Other} {
					if before, after, ok := strings.Cut(english, "{{.Count}}"); ok {
						l.sayings = append(l.sayings, saying{english: regexp.MustCompile("^" + regexp.QuoteMeta(before) + `(\d+)` + regexp.QuoteMeta(after) + "$"), plural: id})
					}
				}
			}
			continue
		}
		text := m.Other
		if t, ok := own[id]; ok && t.Other != "" {
			text = t.Other
		}
		l.plain[id] = text
		if before, after, ok := strings.Cut(m.Other, "{{.N}}"); ok && strings.HasPrefix(id, "says.") {
			// A sentence with a number in it (a wait in seconds): found by its shape.
			l.sayings = append(l.sayings, saying{english: regexp.MustCompile("^" + regexp.QuoteMeta(before) + `(\d+)` + regexp.QuoteMeta(after) + "$"), text: text})
		} else if strings.HasPrefix(id, "says.") || strings.HasPrefix(id, "error.") {
			l.says[m.Other] = text
		}
	}
	l.num = numberFormats[words.String()]
	if l.num.zero == 0 {
		l.num = numberFormats[Default]
	}
	l.dates = newDates(l)
	return l
}

// indexOf finds the shipped tag the matcher answered with (it may carry extensions the shipped one lacks).
func indexOf(tags []language.Tag, m language.Tag) int {
	base, script, region := m.Raw()
	for i, t := range tags {
		if b, s, r := t.Raw(); b == base && s == script && r == region {
			return i
		}
	}
	for i, t := range tags {
		if b, _, _ := t.Raw(); b == base {
			return i
		}
	}
	return 0
}

// isPlural reports a message written in plural forms.
func isPlural(m *goi18n.Message) bool {
	return m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != ""
}

// rtl are the languages written right to left that a blog is likely to be written in.
var rtl = map[string]bool{"ar": true, "he": true, "fa": true, "ur": true, "yi": true, "ps": true, "dv": true,
	"ckb": true, "sd": true, "ug": true}

func direction(tag language.Tag) string {
	base, _ := tag.Base()
	if script, conf := tag.Script(); conf == language.Exact && script.String() != "Arab" && script.String() != "Hebr" {
		return "ltr"
	}
	if rtl[base.String()] {
		return "rtl"
	}
	return "ltr"
}

// Messages returns the ids and every form of lang's catalogue as written (for the tests and tools).
func (c *Catalogue) Messages(lang string) map[string]*goi18n.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mustMessages(lang)
}

// placeholders lists the {{.Name}} placeholders of a text, sorted.
func placeholders(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "{{.")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		out = append(out, s[i+3:i+j])
		s = s[i+j+2:]
	}
	sort.Strings(out)
	return out
}
