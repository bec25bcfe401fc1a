package main

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
)

// The stylesheet the site serves is this generator's output, not a hand-edited copy.
func TestCommittedStylesheetIsGenerated(t *testing.T) {
	committed, err := os.ReadFile("../../assets/css/chroma.css")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := write(&out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, out.Bytes()) {
		t.Fatal("assets/css/chroma.css differs from the generator's output: run go run ./internal/chromacss > assets/css/chroma.css")
	}
}

var rule = regexp.MustCompile(`\.chroma \.([a-z0-9]+) \{([^}]*)\}`)

// theme reads the colours one theme's rules leave each token class with (the last rule for a class wins, as in a
// browser) and the background each class is drawn on.
func theme(css string) (colour, background map[string]uint32) {
	colour, background = map[string]uint32{}, map[string]uint32{}
	for _, m := range rule.FindAllStringSubmatch(css, -1) {
		for _, decl := range strings.Split(m[2], ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(decl), ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			if !strings.HasPrefix(v, "#") {
				if strings.TrimSpace(k) == "background-color" {
					delete(background, m[1])
				}
				continue
			}
			n, err := strconv.ParseUint(v[1:], 16, 32)
			if err != nil {
				continue
			}
			switch strings.TrimSpace(k) {
			case "color":
				colour[m[1]] = uint32(n)
			case "background-color":
				background[m[1]] = uint32(n)
			}
		}
	}
	return colour, background
}

// Every token class has a colour of its own in both themes, and it reads at AA contrast against the code's
// background, a highlighted line's, and its own background where it has one.
func TestEveryTokenReadsInBothThemes(t *testing.T) {
	css, err := os.ReadFile("../../assets/css/chroma.css")
	if err != nil {
		t.Fatal(err)
	}
	light, dark, ok := strings.Cut(string(css), "@media (prefers-color-scheme: dark)")
	if !ok {
		t.Fatal("no dark theme in chroma.css")
	}
	for _, th := range []struct {
		name   string
		css    string
		bg, hl uint32
	}{{"light", light, LightBackground, LightHighlight}, {"dark", dark, DarkBackground, DarkHighlight}} {
		colour, background := theme(th.css)
		if got := background["hl"]; got != th.hl {
			t.Errorf("%s: highlighted line background #%06x, want #%06x", th.name, got, th.hl)
		}
		for tt, class := range chroma.StandardTypes {
			switch tt {
			case chroma.Background, chroma.PreWrapper, chroma.Line, chroma.LineTable, chroma.LineTableTD, chroma.LineLink,
				chroma.CodeLine, chroma.LineHighlight:
				continue
			}
			if class == "" {
				continue
			}
			c, ok := colour[class]
			if !ok {
				t.Errorf("%s: .%s (%s) has no colour of its own", th.name, class, tt)
				continue
			}
			bgs := []uint32{th.bg, th.hl}
			if own, ok := background[class]; ok {
				bgs = []uint32{own}
			}
			for _, bg := range bgs {
				if r := Contrast(c, bg); r < MinContrast {
					t.Errorf("%s: .%s (%s) #%06x on #%06x: contrast %.2f < %.1f", th.name, class, tt, c, bg, r, MinContrast)
				}
			}
		}
	}
}
