package search

import (
	"html/template"
	"reflect"
	"strings"
	"testing"

	"blog/database/fulltext"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     [][]string
		problem  string
	}{
		{"one word", "Comments", [][]string{{"comments"}}, ""},
		{"words", "live  comments", [][]string{{"live"}, {"comments"}}, ""},
		{"phrase", `"live comments" now`, [][]string{{"live", "comments"}, {"now"}}, ""},
		{"unclosed quote runs to the end", `now "live comments`, [][]string{{"now"}, {"live", "comments"}}, ""},
		{"syntax is punctuation", `body:x* NEAR(a b) -c & !d | e`, [][]string{{"body"}, {"x"}, {"near"}, {"a"}, {"b"}, {"c"}, {"d"}, {"e"}}, ""},
		{"accents and scripts", "Café Ελληνικά 東京", [][]string{{"café"}, {"ελληνικά"}, {"東京"}}, ""},
		{"empty", "  ", nil, "Type a word"},
		{"no words", `"" *** :`, nil, "nothing to search for"},
		{"too long", strings.Repeat("a", MaxQueryLength+1), nil, "too long"},
		{"too many", "a b c d e f g h i", nil, "too many words"},
		{"long phrase", `"a b c d e f g h i"`, nil, "up to 8 words"},
		{"long word", strings.Repeat("é", MaxWordLength+1), nil, "longer than"},
		{"bad UTF-8", "a\xffb", nil, "cannot read"},
		{"mark characters", "\uE000kestrel\uE001", [][]string{{"kestrel"}}, ""},
	} {
		q, p := Parse(tc.in)
		if !strings.Contains(string(p), tc.problem) || (tc.problem == "" && p != "") {
			t.Errorf("%s: problem %q, want %q", tc.name, p, tc.problem)
		}
		if !reflect.DeepEqual(q.Terms, tc.want) {
			t.Errorf("%s: terms %q, want %q", tc.name, q.Terms, tc.want)
		}
	}
}

func TestPieces(t *testing.T) {
	m := func(s string) string {
		return strings.NewReplacer("[", fulltext.MarkStart, "]", fulltext.MarkEnd).Replace(s)
	}
	for _, tc := range []struct {
		in   string
		want []Piece
	}{
		{m("a [b] c"), []Piece{{Text: "a"}, {Text: " "}, {Text: "b", Mark: true}, {Text: " c"}}},
		{m("  many\n\n  spaces [x]"), []Piece{{Text: "many spaces"}, {Text: " "}, {Text: "x", Mark: true}}},
		{m("[[x]]] y ["), []Piece{{Text: "x", Mark: true}, {Text: " y"}}},
		{m("<b>&amp;</b>"), []Piece{{Text: "<b>&amp;</b>"}}},
		{"ctl\x01char", []Piece{{Text: "ctlchar"}}},
	} {
		if got := Pieces(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Pieces(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	long := Pieces(strings.Repeat("word ", 500))
	if n := len([]rune(long[0].Text)); n > maxExcerpt+2 || !strings.HasSuffix(long[0].Text, "…") {
		t.Errorf("a long excerpt is %d characters", n)
	}
}

func TestPlainText(t *testing.T) {
	in := template.HTML(`<h2 id="x">Title</h2><p>One <em>emph</em>asis, <a href="/">link</a>.</p><pre><code><span class="k">func</span> <span>main</span>()</code></pre><p>End&amp;more</p>`)
	want := "Title  One emphasis, link.  func main()  End&more"
	if got := PlainText(in); got != want {
		t.Errorf("PlainText = %q, want %q", got, want)
	}
}

func TestMarked(t *testing.T) {
	lex := fulltext.Lexemes(`'revers' <-> 'proxi' & 'comment' & 'it''s'`)
	if strings.Join(lex, "|") != "revers|proxi|comment|it's" {
		t.Fatalf("Lexemes = %q", lex)
	}
	marked := func(ps []Piece) string {
		var b strings.Builder
		for _, p := range ps {
			if p.Mark {
				b.WriteString("[" + p.Text + "]")
			} else {
				b.WriteString(p.Text)
			}
		}
		return b.String()
	}
	for _, tc := range []struct {
		text   string
		window bool
		want   string
	}{
		{"A Reverse proxy, proxies and commenting <b>here</b>", false, "A [Reverse] [proxy], [proxies] and [commenting] <b>here</b>"},
		{"Commentary is not a comment? Commentaries.", false, "[Commentary] is not a [comment]? Commentaries."},
		{strings.Repeat("word ", 40) + "the comment " + strings.Repeat("tail ", 40), true,
			"…" + strings.TrimSpace(strings.Repeat("word ", 7)) + " the [comment] " + strings.TrimSpace(strings.Repeat("tail ", 23)) + " …"},
		{"no match here", true, "no match here"},
	} {
		if got := marked(Marked(tc.text, lex, tc.window)); got != tc.want {
			t.Errorf("Marked(%q) =\n%q, want\n%q", tc.text, got, tc.want)
		}
	}
}
