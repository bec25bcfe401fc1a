// Package sharecard draws the picture a link preview shows for a post (Open Graph and Twitter cards): a
// 1200x630 PNG with the post's title, wrapped, and the blog's name, in the Go Bold typeface that is compiled
// into the binary (golang.org/x/image/font/gofont), so nothing is fetched from anywhere. Each title's card is
// drawn once and kept.
package sharecard

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/sync/singleflight"
	"golang.org/x/text/unicode/norm"
)

// Width and Height are a card's size in pixels: the 1.91:1 picture Open Graph and Twitter's large card show.
const (
	Width  = 1200
	Height = 630
)

// design names the drawing below; change it when the drawing changes, so that Version changes and link
// previews fetch the new picture.
const design = "1"

// maxCards bounds the cards kept (one per title; a blog has as many as it has posts, plus the titles they had
// before an edit). Beyond it the cache starts over.
const maxCards = 512

// Colours of the blog's light theme (Tailwind's stone and teal, as the pages use them).
var (
	paper = color.RGBA{0xfa, 0xfa, 0xf9, 0xff} // stone-50
	ink   = color.RGBA{0x1c, 0x19, 0x17, 0xff} // stone-900
	teal  = color.RGBA{0x11, 0x5e, 0x59, 0xff} // teal-800
	rule  = color.RGBA{0xd6, 0xd3, 0xd1, 0xff} // stone-300
)

// Layout, in pixels.
const (
	margin   = 96 // left and right of the text
	top      = 92 // above the title's first line
	barWidth = 24 // the teal bar on the left edge
	ruleY    = 486
	siteSize = 40
	// siteBaseline is where the blog's name sits, under the rule.
	siteBaseline = 562
)

// titleSizes are the title's sizes, largest first, with the lines each may take: the largest that holds the
// whole title is used, and the last one cuts what does not fit with an ellipsis.
var titleSizes = []struct {
	size     float64
	maxLines int
}{{80, 3}, {68, 4}, {56, 5}}

// Card is one drawn picture with its entity tag.
type Card struct {
	PNG  []byte
	ETag string
}

// Cards draws and keeps the cards of one blog.
type Cards struct {
	site string
	font *sfnt.Font

	mu     sync.Mutex
	cards  map[string]*Card
	flight singleflight.Group
}

// New returns the cards of the blog named site.
func New(site string) (*Cards, error) {
	f, err := goBold()
	if err != nil {
		return nil, err
	}
	return &Cards{site: site, font: f, cards: map[string]*Card{}}, nil
}

// goBold is the card's typeface, parsed once: it is read-only after parsing and shared by every drawing.
var goBold = sync.OnceValues(func() (*sfnt.Font, error) { return opentype.Parse(gobold.TTF) })

// Says tells whether a post's card says anything: its title, or else the blog's name, in letters the typeface
// has. A card that could only be the empty frame (an Arabic title on a blog with an Arabic name) is not worth a
// link preview's picture, so the page names none and the preview shows its text alone.
func Says(site, title string) bool {
	f, err := goBold()
	if err != nil {
		return false
	}
	return drawable(f, title) != "" || drawable(f, site) != ""
}

// DrawsTitle tells whether a post's card shows its title (rather than only the blog's name).
func DrawsTitle(title string) bool {
	f, err := goBold()
	return err == nil && drawable(f, title) != ""
}

// Version names the card of a title on a blog: it changes when the title, the blog's name or the drawing does,
// so it can go in the card's address and a link preview that kept an older picture fetches the new one.
func Version(site, title string) string {
	sum := sha256.Sum256([]byte(design + "\x00" + site + "\x00" + title))
	return hex.EncodeToString(sum[:6])
}

// Get returns the card of a title, drawing it the first time it is asked for.
func (c *Cards) Get(title string) (*Card, error) {
	c.mu.Lock()
	card := c.cards[title]
	c.mu.Unlock()
	if card != nil {
		return card, nil
	}
	v, err, _ := c.flight.Do(title, func() (any, error) {
		b, err := c.draw(title)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		card := &Card{PNG: b, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		c.mu.Lock()
		if len(c.cards) >= maxCards {
			clear(c.cards)
		}
		c.cards[title] = card
		c.mu.Unlock()
		return card, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Card), nil
}

// draw makes the PNG of a title's card: the title above a rule, the blog's name under it. A title the typeface
// cannot draw leaves its place to the blog's name.
func (c *Cards) draw(title string) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	draw.Draw(img, img.Bounds(), image.NewUniform(paper), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, 0, barWidth, Height), image.NewUniform(teal), image.Point{}, draw.Src)
	text, name := c.texts(title)
	if text != "" {
		if err := c.drawTitle(img, text, ink); err != nil {
			return nil, err
		}
		draw.Draw(img, image.Rect(margin, ruleY, Width-margin, ruleY+2), image.NewUniform(rule), image.Point{}, draw.Src)
		face, err := c.face(siteSize)
		if err != nil {
			return nil, err
		}
		d := font.Drawer{Dst: img, Src: image.NewUniform(teal), Face: face, Dot: fixed.P(margin, siteBaseline)}
		d.DrawString(fit(face, name, Width-2*margin))
	} else if name != "" {
		if err := c.drawTitle(img, name, teal); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// texts are the words a title's card writes: the title and, under it, the blog's name; or only the blog's name,
// in the title's place, when the title cannot be written ("" for the title then); or nothing at all.
func (c *Cards) texts(title string) (text, name string) {
	return c.Drawable(title), c.Drawable(c.site)
}

// drawTitle sets the title at the largest size that holds it, or cut with an ellipsis at the smallest.
func (c *Cards) drawTitle(img draw.Image, text string, colour color.Color) error {
	face, size, lines, err := c.layout(text)
	if err != nil {
		return err
	}
	y := top + face.Metrics().Ascent.Ceil()
	d := font.Drawer{Dst: img, Src: image.NewUniform(colour), Face: face}
	for _, l := range lines {
		d.Dot = fixed.P(margin, y)
		d.DrawString(l)
		y += int(size * 1.18)
	}
	return nil
}

// layout breaks a title into the lines of the largest size that holds it all; at the smallest size, what does
// not fit is cut and the last line ends with an ellipsis.
func (c *Cards) layout(text string) (font.Face, float64, []string, error) {
	var face font.Face
	var lines []string
	ts := titleSizes[0]
	for _, ts = range titleSizes {
		f, err := c.face(ts.size)
		if err != nil {
			return nil, 0, nil, err
		}
		face, lines = f, wrap(f, text, Width-2*margin)
		if len(lines) <= ts.maxLines {
			return face, ts.size, lines, nil
		}
	}
	lines = lines[:ts.maxLines]
	lines[len(lines)-1] = ellipsis(face, lines[len(lines)-1], Width-2*margin)
	return face, ts.size, lines, nil
}

// face is the typeface at a size. A face keeps a buffer of its own, so each drawing makes its own.
func (c *Cards) face(size float64) (font.Face, error) {
	return opentype.NewFace(c.font, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
}

// Drawable is the text as the card draws it. It is composed (NFC, so an accent typed as a separate mark is
// drawn with its letter) and its runs of spaces are one space. Characters the typeface has no glyph for
// (emoji, symbols, marks it cannot place) are left out; but when a letter or a digit is among them (a title
// in Chinese, Arabic or Hindi, which the Go fonts do not cover), the text is not drawn at all ("" is
// returned), rather than drawn with some of its words missing: the card then shows the blog's name only, and
// the link preview still shows the title as text beside it.
func (c *Cards) Drawable(text string) string { return drawable(c.font, text) }

func drawable(f *sfnt.Font, text string) string {
	var buf sfnt.Buffer
	var b strings.Builder
	space := false
	for _, r := range norm.NFC.String(text) {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
			if unicode.IsLetter(r) || unicode.IsNumber(r) {
				return ""
			}
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// wrap breaks text into lines no wider than width, between words, and inside a word only when the word alone
// is wider than a line.
func wrap(face font.Face, text string, width int) []string {
	max := fixed.I(width)
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && font.MeasureString(face, line+" "+w) <= max {
			line += " " + w
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		line = w
		for font.MeasureString(face, line) > max {
			cut := fitPrefix(face, line, max)
			lines = append(lines, line[:cut])
			line = line[cut:]
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// fitPrefix is the length in bytes of the longest prefix of s (at least one rune) that is no wider than max.
func fitPrefix(face font.Face, s string, max fixed.Int26_6) int {
	cut := 0
	for i, r := range s {
		if i > 0 && font.MeasureString(face, s[:i+len(string(r))]) > max {
			break
		}
		cut = i + len(string(r))
	}
	return cut
}

// ellipsis ends a line that was cut short with "…", taking off as much of its end as the mark needs.
func ellipsis(face font.Face, line string, width int) string {
	max := fixed.I(width)
	line = strings.TrimRight(line, " ")
	for line != "" && font.MeasureString(face, line+"…") > max {
		_, size := lastRune(line)
		line = strings.TrimRight(line[:len(line)-size], " ")
	}
	return line + "…"
}

// fit cuts a single line to width with an ellipsis when it is wider.
func fit(face font.Face, s string, width int) string {
	if font.MeasureString(face, s) <= fixed.I(width) {
		return s
	}
	return ellipsis(face, s, width)
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xc0 != 0x80 {
			r := []rune(s[i:])
			return r[0], len(s) - i
		}
	}
	return 0, 0
}
