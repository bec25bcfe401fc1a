package richtext

import (
	"regexp"
	"strings"
	"testing"
)

// hostile are comments of at most 5,000 characters built to make rendering costly or its output large.
var hostile = map[string]string{
	"one line of quotes":     strings.Repeat(">", 4999) + "x",
	"spaced quotes":          strings.Repeat("> ", 2499) + "x",
	"bullets":                strings.Repeat("- ", 2499) + "x",
	"stars":                  strings.Repeat("* ", 2499) + "x",
	"numbers":                strings.Repeat("1. ", 1666) + "x",
	"quotes then lazy lines": strings.Repeat(">", 2500) + "x" + strings.Repeat("\nx", 1249),
	"quote depth toggling":   strings.Repeat(">>>>>>>>a\n\n", 450),
	"lists by indentation": func() string {
		var b strings.Builder
		for i := 0; b.Len() < 4900; i++ {
			b.WriteString(strings.Repeat(" ", 2*i) + "- x\n")
		}
		return b.String()
	}(),
	"quoted lists by indentation": func() string {
		var b strings.Builder
		for i := 0; b.Len() < 4900; i++ {
			b.WriteString(strings.Repeat(" ", 2*i) + "- > x\n")
		}
		return b.String()
	}(),
}

// TestNestingIsBounded checks that no comment renders quotes or lists deeper than MaxDepth, that the deeper
// markers are still there as text, and that no comment renders past MaxHTML.
func TestNestingIsBounded(t *testing.T) {
	open := regexp.MustCompile(`<(/?)(blockquote|ul|ol)\b[^>]*>`)
	for name, in := range hostile {
		out := string(Render(in, "markdown"))
		d, deepest := 0, 0
		for _, m := range open.FindAllStringSubmatch(out, -1) {
			if m[1] == "" {
				d++
			} else {
				d--
			}
			deepest = max(deepest, d)
		}
		if deepest > MaxDepth {
			t.Errorf("%s: nested %d deep, want at most %d", name, deepest, MaxDepth)
		}
		if len(out) > MaxHTML {
			t.Errorf("%s: %d bytes of HTML, want at most %d", name, len(out), MaxHTML)
		}
		if !strings.Contains(out, "x") && !strings.Contains(out, "a") {
			t.Errorf("%s: the text was lost: %.200s", name, out)
		}
	}
	// The markers past the limit are shown as typed.
	out := string(Render(strings.Repeat("> ", 12)+"deep", "markdown"))
	if strings.Count(out, "<blockquote>") != MaxDepth || !strings.Contains(out, "&gt; &gt; &gt; &gt; deep") {
		t.Fatalf("12 levels of quotes: %s", out)
	}
}

// TestShallowNestingUnchanged checks that the limit leaves ordinary quotes and lists alone.
func TestShallowNestingUnchanged(t *testing.T) {
	in := "> > quoted twice\n\n- a\n  - b\n    1. c\n\n```\n> > > > > > > > code\n```"
	out := string(Render(in, "markdown"))
	for _, want := range []string{"<blockquote>\n<blockquote>\n<p>quoted twice</p>", "<li>a\n<ul>\n<li>b\n<ol>\n<li>c</li>",
		"<pre tabindex=\"0\"><code>&gt; &gt; &gt; &gt; &gt; &gt; &gt; &gt; code\n</code></pre>"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
}

// TestTooLargeIsPlainText checks that a comment whose HTML would pass MaxHTML is shown as its text.
func TestTooLargeIsPlainText(t *testing.T) {
	in := strings.Repeat("*a*_b_", 800)
	if got := string(Render(in, "markdown")); len(got) > MaxHTML {
		t.Fatalf("%d bytes", len(got))
	}
	in = strings.Repeat(">>>>>>>>a\n>\n", 400)
	got := string(Render(in, "markdown"))
	if len(got) > MaxHTML || strings.Contains(got, "<blockquote>") {
		t.Fatalf("%d bytes, quotes kept: %.300s", len(got), got)
	}
	if !strings.Contains(got, "&gt;&gt;&gt;&gt;&gt;&gt;&gt;&gt;a<br/>") {
		t.Fatalf("not the plain text: %.300s", got)
	}
}

// BenchmarkRenderHostile measures the costliest comments we know of: the bound is what a writer can make the
// server do once per comment.
func BenchmarkRenderHostile(b *testing.B) {
	for name, in := range hostile {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				Render(in, "markdown")
			}
		})
	}
}
