package sharecard

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

func newCards(t *testing.T) *Cards {
	t.Helper()
	c, err := New("Field Notes")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// decode reads a card back, failing unless it is a PNG of the card's size.
func decode(t *testing.T, card *Card) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(card.PNG))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != Width || b.Dy() != Height {
		t.Fatalf("card is %v, want %dx%d", b, Width, Height)
	}
	return img
}

// inked counts the pixels of the title's area that are darker than the paper.
func inked(img image.Image) int {
	n := 0
	for y := top; y < ruleY-10; y++ {
		for x := margin; x < Width-margin; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r < 0x8000 && g < 0x8000 && b < 0x8000 {
				n++
			}
		}
	}
	return n
}

func TestCardsAreDrawnOncePerTitle(t *testing.T) {
	c := newCards(t)
	var wg sync.WaitGroup
	got := make([]*Card, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			card, err := c.Get("Hello, world")
			if err != nil {
				t.Error(err)
			}
			got[i] = card
		}()
	}
	wg.Wait()
	for _, card := range got[1:] {
		if card != got[0] {
			t.Fatal("the same title was drawn more than once")
		}
	}
	if !strings.HasPrefix(got[0].ETag, `"`) || len(got[0].ETag) < 10 {
		t.Fatalf("ETag %q", got[0].ETag)
	}
	other, err := c.Get("Writing posts in Markdown")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.PNG, got[0].PNG) || other.ETag == got[0].ETag {
		t.Fatal("two titles got the same card")
	}
	if n := inked(decode(t, got[0])); n < 2000 {
		t.Fatalf("the title's area has %d inked pixels: the title is not drawn", n)
	}
	if len(got[0].PNG) > 150<<10 {
		t.Errorf("a card is %d bytes", len(got[0].PNG))
	}
}

func TestVersionFollowsTitleAndSite(t *testing.T) {
	a, b, c := Version("Field Notes", "Hello"), Version("Field Notes", "Hello, world"), Version("Other", "Hello")
	if a == b || a == c || a != Version("Field Notes", "Hello") || len(a) != 12 {
		t.Fatalf("versions %q %q %q", a, b, c)
	}
}

func TestDrawableText(t *testing.T) {
	c := newCards(t)
	tests := []struct{ name, in, want string }{
		{"plain", "Hello, world", "Hello, world"},
		{"spaces collapse", "  Hello,\t\n  world  ", "Hello, world"},
		{"accents typed as marks are composed", "Cafe\u0301 cre\u0300me", "Café crème"},
		{"Latin, Greek and Cyrillic are drawn", "Ελληνικά и кириллица — “quoted”", "Ελληνικά и кириллица — “quoted”"},
		{"emoji are left out", "Shipped 🎉 at last 🚀", "Shipped at last"},
		{"joiners and selectors are left out", "Family 👨\u200d👩\u200d👧 ❤\ufe0f", "Family"},
		{"a script the font lacks leaves the title undrawn", "Go 入門", ""},
		{"Arabic", "مرحبا", ""},
		{"Devanagari digits", "Part ४", ""},
		{"nothing", "   ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Drawable(tt.in); got != tt.want {
				t.Fatalf("Drawable(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// A title the font cannot draw gives a card with the blog's name in the title's place (in teal), never boxes
// for missing glyphs or half a title.
func TestUndrawableTitleShowsTheBlogsName(t *testing.T) {
	c := newCards(t)
	card, err := c.Get("日本語のタイトル")
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, card)
	teal := 0
	for y := top; y < top+100; y++ {
		for x := margin; x < Width-margin; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r < 0x3000 && g > 0x4000 && b > 0x4000 && g < 0x7000 {
				teal++
			}
		}
	}
	if teal < 500 {
		t.Fatalf("%d teal pixels where the blog's name should be", teal)
	}
	site, _ := c.Get("Field Notes")
	if bytes.Equal(site.PNG, card.PNG) {
		t.Fatal("the fallback card is the card of a post titled like the blog")
	}
}

func TestLongTitlesWrapAndEndWithAnEllipsis(t *testing.T) {
	c := newCards(t)
	width := fixed.I(Width - 2*margin)
	tests := []struct {
		name, title string
		wantSize    float64
		wantLines   int
		cut         bool
	}{
		{"short", "Hello, world", 80, 1, false},
		{"three lines at the largest size", strings.Repeat("words ", 9), 80, 3, false},
		{"smaller when it needs more lines", strings.Repeat("words ", 10), 68, 3, false},
		{"four lines", strings.Repeat("words ", 16), 68, 4, false},
		{"smallest", strings.Repeat("words ", 25), 56, 5, false},
		{"cut at the smallest", strings.Repeat("words ", 200), 56, 5, true},
		{"one long word is broken", strings.Repeat("x", 60), 80, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			face, size, lines, err := c.layout(c.Drawable(tt.title))
			if err != nil {
				t.Fatal(err)
			}
			if size != tt.wantSize || len(lines) != tt.wantLines {
				t.Fatalf("size %v with %d lines %q, want %v with %d", size, len(lines), lines, tt.wantSize, tt.wantLines)
			}
			for _, l := range lines {
				if font.MeasureString(face, l) > width {
					t.Errorf("line %q is wider than the card", l)
				}
			}
			last := lines[len(lines)-1]
			if strings.HasSuffix(last, "…") != tt.cut {
				t.Errorf("last line %q: cut %v, want %v", last, !tt.cut, tt.cut)
			}
			if !tt.cut && strings.Join(strings.Fields(strings.Join(lines, "")), "") != strings.Join(strings.Fields(tt.title), "") {
				t.Errorf("lines %q lose part of the title", lines)
			}
		})
	}
}

// A title in a script Go Bold lacks (Arabic, Japanese) is never written with the font's .notdef glyph (the
// empty box): every character the card writes has a glyph of its own; the blog's name takes the title's
// place, and with a name it cannot write either the card says nothing, so the page names none.
func TestNoMissingGlyphIsEverDrawn(t *testing.T) {
	tests := []struct {
		name, site, title string
		wantTitle         bool
		wantName          bool
	}{
		{"Arabic title", "Field Notes", "مرحبا بالعالم: أول تدوينة", false, true},
		{"Japanese title", "Field Notes", "日本語のタイトル", false, true},
		{"Chinese title", "Field Notes", "你好，世界", false, true},
		{"Cyrillic title", "Field Notes", "Привет, мир", true, true},
		{"Arabic title on an Arabic blog", "مدونة", "مرحبا بالعالم", false, false},
		{"Latin title on a Japanese blog", "日記", "Hello, world", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.site)
			if err != nil {
				t.Fatal(err)
			}
			text, name := c.texts(tt.title)
			if (text != "") != tt.wantTitle || (name != "") != tt.wantName {
				t.Fatalf("texts(%q) = %q, %q: want title %v, name %v", tt.title, text, name, tt.wantTitle, tt.wantName)
			}
			var buf sfnt.Buffer
			for _, s := range []string{text, name, "…"} {
				for _, r := range s {
					if i, err := c.font.GlyphIndex(&buf, r); err != nil || i == 0 {
						t.Errorf("%q would be drawn as .notdef (in %q)", r, s)
					}
				}
			}
			if got := Says(tt.site, tt.title); got != (tt.wantTitle || tt.wantName) {
				t.Errorf("Says = %v", got)
			}
			if got := DrawsTitle(tt.title); got != tt.wantTitle {
				t.Errorf("DrawsTitle = %v", got)
			}
			card, err := c.Get(tt.title)
			if err != nil {
				t.Fatal(err)
			}
			img := decode(t, card)
			if !tt.wantTitle && !tt.wantName {
				if n := inked(img); n != 0 {
					t.Fatalf("a card with nothing to say has %d inked pixels", n)
				}
				if n := tealInked(img); n != 0 {
					t.Fatalf("a card with nothing to say has %d teal pixels in the title's place", n)
				}
			}
			if !tt.wantTitle && tt.wantName && tealInked(img) < 500 {
				t.Fatal("the blog's name is not in the title's place")
			}
		})
	}
}

// tealInked counts the teal pixels where the title's first line sits.
func tealInked(img image.Image) int {
	n := 0
	for y := top; y < top+100; y++ {
		for x := margin; x < Width-margin; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r < 0x3000 && g > 0x4000 && b > 0x4000 && g < 0x7000 {
				n++
			}
		}
	}
	return n
}
