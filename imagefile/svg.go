package imagefile

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SVG is a document, not only a picture: it can hold scripts, event handlers and links that run when someone
// opens its address. The blog serves every upload so that nothing in it runs (a Content-Security-Policy with
// sandbox and no scripts, Content-Disposition: attachment, nosniff; an <img> never runs an SVG's scripts
// anyway), and, so that nothing surprising is stored either, refuses an SVG that holds anything active:
// a script, an event handler, a foreign object or embedded page, a document type (entities), a reference to
// anything outside the file, or a stylesheet that imports one.

// activeElements are the SVG elements refused outright.
var activeElements = map[string]bool{"script": true, "foreignobject": true, "iframe": true, "embed": true,
	"object": true, "handler": true, "listener": true}

// CheckSVG refuses an SVG that is not well-formed XML with an <svg> root or that holds something active; the
// error is a sentence for the owner.
func CheckSVG(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	depth := 0
	inStyle := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("This SVG is not well-formed XML (%v).", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return errors.New("This SVG has a document type declaration (<!DOCTYPE or <!ENTITY>); remove it and upload it again.")
		case xml.ProcInst:
			if t.Target != "xml" {
				return fmt.Errorf("This SVG has a processing instruction (<?%s?>); remove it and upload it again.", t.Target)
			}
		case xml.StartElement:
			name := strings.ToLower(t.Name.Local)
			if depth == 0 && name != "svg" {
				return errors.New("This file's root element is not <svg>.")
			}
			depth++
			if activeElements[name] {
				return fmt.Errorf("This SVG holds a <%s> element, which could run code; remove it and upload it again.", t.Name.Local)
			}
			for _, a := range t.Attr {
				an := strings.ToLower(a.Name.Local)
				v := strings.ToLower(strings.Join(strings.Fields(a.Value), ""))
				switch {
				case strings.HasPrefix(an, "on"):
					return fmt.Errorf("This SVG has an event handler (%s on <%s>), which could run code; remove it and upload it again.", a.Name.Local, t.Name.Local)
				case an == "href" || an == "src":
					if !strings.HasPrefix(v, "#") {
						return fmt.Errorf("This SVG refers to something outside it (%s=%q on <%s>); only references within the file (#id) are allowed.", a.Name.Local, a.Value, t.Name.Local)
					}
				case (name == "set" || strings.HasPrefix(name, "animate")) && an == "attributename" && (v == "href" || strings.HasSuffix(v, ":href")):
					return fmt.Errorf("This SVG animates a link (<%s attributeName=%q>); remove it and upload it again.", t.Name.Local, a.Value)
				case strings.Contains(v, "javascript:") || hasOutsideURL(v):
					return fmt.Errorf("This SVG refers to something outside it (%s on <%s>); only references within the file (#id) are allowed.", a.Name.Local, t.Name.Local)
				}
			}
			inStyle = name == "style"
		case xml.EndElement:
			depth--
			inStyle = false
		case xml.CharData:
			if inStyle {
				css := strings.ToLower(string(t))
				if strings.Contains(css, "@import") || hasOutsideURL(strings.Join(strings.Fields(css), "")) {
					return errors.New("This SVG's stylesheet loads something from outside the file (@import or url()); only references within the file (#id) are allowed.")
				}
			}
		}
	}
	if depth != 0 {
		return errors.New("This SVG ends before its <svg> element is closed.")
	}
	return nil
}

// hasOutsideURL reports a CSS url() (in a style attribute, a presentation attribute or a stylesheet; white space
// already removed) that points anywhere but into the file.
func hasOutsideURL(v string) bool {
	for rest := v; ; {
		_, after, ok := strings.Cut(rest, "url(")
		if !ok {
			return false
		}
		after = strings.TrimLeft(after, `"'`)
		if !strings.HasPrefix(after, "#") {
			return true
		}
		rest = after
	}
}
