package newsletter

import (
	"bytes"
	"html/template"
	"net/url"
	"strings"

	htmltomarkdown "github.com/JohannesKaufmann/html-to-markdown/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"blog/content"
	"blog/i18n"
	"blog/repo/subscribers"
)

// The styles a post's HTML gets inline in a mail: mail programs drop style sheets and classes, so code keeps
// its spacing and a light background of its own (readable in a dark mail program too), and pictures fit.
var inline = map[atom.Atom]string{
	atom.Pre:        "background: #f6f8fa; color: #1f2328; padding: 12px 14px; border-radius: 6px; overflow-x: auto; white-space: pre; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
	atom.Code:       "font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.95em",
	atom.Img:        "max-width: 100%; height: auto",
	atom.Blockquote: "margin: 0 0 1em; padding-left: 1em; border-left: 3px solid #d1d5db; color: #374151",
	atom.Table:      "border-collapse: collapse",
	atom.Th:         "border: 1px solid #d1d5db; padding: 4px 8px; text-align: left",
	atom.Td:         "border: 1px solid #d1d5db; padding: 4px 8px",
	atom.A:          "color: #1d4ed8",
}

// mailHTML rewrites a post's HTML for mail programs: every address made absolute against base (pictures, links,
// media), the dark-theme picture variants dropped (mail programs do not choose), and the inline styles above.
func mailHTML(body template.HTML, base string) string {
	nodes, err := html.ParseFragment(strings.NewReader(string(body)), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return string(body)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == html.ElementNode && c.DataAtom == atom.Source {
				n.RemoveChild(c)
			} else {
				walk(c)
			}
			c = next
		}
		if n.Type != html.ElementNode {
			return
		}
		for i, a := range n.Attr {
			switch a.Key {
			case "href", "src":
				n.Attr[i].Val = absolute(a.Val, base)
			case "class", "style", "tabindex":
				n.Attr[i].Key = "" // dropped below: classes mean nothing in a mail, and a style is replaced
			}
		}
		attrs := n.Attr[:0]
		for _, a := range n.Attr {
			if a.Key != "" {
				attrs = append(attrs, a)
			}
		}
		n.Attr = attrs
		style := inline[n.DataAtom]
		if n.DataAtom == atom.Code && n.Parent != nil && n.Parent.DataAtom == atom.Pre {
			style = "" // a block's font comes from its <pre>
		}
		if style != "" {
			n.Attr = append(n.Attr, html.Attribute{Key: "style", Val: style})
		}
	}
	var b bytes.Buffer
	for _, n := range nodes {
		walk(n)
		html.Render(&b, n)
	}
	return b.String()
}

// absolute makes a site-relative address (/media/x.png, /posts/y) absolute; others are kept.
func absolute(ref, base string) string {
	if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
		return ref
	}
	return strings.TrimRight(base, "/") + ref
}

// Letter builds a post's mail: its title as the subject, then the whole post (full) or its summary and a link
// (summary), as HTML for mail programs and as plain text (Markdown, which reads as text), each ending with the
// unsubscribe placeholder that every recipient's own link replaces.
func Letter(w *i18n.Locale, p content.Post, postID int64, site, base string, full bool) subscribers.Letter {
	link := strings.TrimRight(base, "/") + "/posts/" + url.PathEscape(p.Slug)
	var body string
	if full {
		body = mailHTML(p.HTML, base)
	} else {
		summary := p.Summary
		if summary == "" {
			summary = firstParagraph(p.HTML)
		}
		body = "<p>" + template.HTMLEscapeString(summary) + "</p>"
	}
	readOn := w.F("mail.read_on", "Site", site)
	if full {
		readOn = w.F("mail.read_full_on", "Site", site)
	}
	var h strings.Builder
	h.WriteString(`<!doctype html><html lang="` + template.HTMLEscapeString(w.Lang) + `" dir="` + w.Dir() + `"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">`)
	h.WriteString("<title>" + template.HTMLEscapeString(p.Title) + "</title></head>")
	h.WriteString(`<body style="margin: 0; padding: 16px; background: #ffffff; color: #1f2937; font: 16px/1.6 Georgia, 'Source Serif 4', serif">`)
	h.WriteString(`<div style="max-width: 40rem; margin: 0 auto">`)
	h.WriteString(`<p style="margin: 0 0 4px; font: 14px system-ui, sans-serif; color: #4b5563">` + template.HTMLEscapeString(site) + `</p>`)
	h.WriteString(`<h1 style="font: 700 26px/1.25 system-ui, sans-serif; margin: 0 0 16px"><a href="` + template.HTMLEscapeString(link) +
		`" style="color: #111827; text-decoration: none">` + template.HTMLEscapeString(p.Title) + `</a></h1>`)
	h.WriteString(body)
	h.WriteString(`<p><a href="` + template.HTMLEscapeString(link) + `" style="color: #1d4ed8">` + template.HTMLEscapeString(readOn) + `</a></p>`)
	h.WriteString(`<hr style="border: 0; border-top: 1px solid #e5e7eb; margin: 24px 0 12px">`)
	h.WriteString(`<p style="font: 13px/1.5 system-ui, sans-serif; color: #4b5563">` + template.HTMLEscapeString(w.F("mail.letter_why", "Site", site)) +
		` <a href="` + subscribers.Unsubscribe + `" style="color: #1d4ed8">` + template.HTMLEscapeString(w.T("mail.unsubscribe")) + `</a></p>`)
	h.WriteString(`</div></body></html>`)

	text, err := htmltomarkdown.ConvertString(body)
	if err != nil {
		text = p.Summary
	}
	var t strings.Builder
	t.WriteString(p.Title + "\n" + strings.Repeat("=", min(len([]rune(p.Title)), 72)) + "\n\n")
	t.WriteString(strings.TrimSpace(text) + "\n\n")
	t.WriteString(readOn + ": " + link + "\n\n")
	t.WriteString("-- \n" + w.F("mail.letter_why", "Site", site) + "\n" + w.T("mail.unsubscribe") + ": " + subscribers.Unsubscribe + "\n")
	return subscribers.Letter{PostID: postID, Slug: p.Slug, Subject: p.Title, Text: t.String(), HTML: h.String()}
}

// firstParagraph is the text of a post's first paragraph, for a summary when the post has none.
func firstParagraph(body template.HTML) string {
	nodes, err := html.ParseFragment(strings.NewReader(string(body)), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return ""
	}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	for _, n := range nodes {
		if n.DataAtom == atom.P {
			return strings.Join(strings.Fields(text(n)), " ")
		}
	}
	return ""
}
