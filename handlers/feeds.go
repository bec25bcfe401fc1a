package handlers

import (
	"encoding/xml"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/views"
)

// atomFeed is the Atom document at /feed.xml.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomEntry struct {
	Title     string      `xml:"title"`
	ID        string      `xml:"id"`
	Link      atomLink    `xml:"link"`
	Published string      `xml:"published"`
	Updated   string      `xml:"updated"`
	Summary   string      `xml:"summary,omitempty"`
	Content   atomContent `xml:"content"`
}

type atomContent struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// feed serves the posts as an Atom feed, newest first, with their full text.
func (s *Server) feed(c *fiber.Ctx) error {
	base := s.chromeFor(c).BaseURL
	f := atomFeed{Title: s.chrome.SiteTitle, ID: base + "/", Links: []atomLink{{Href: base + "/feed.xml", Rel: "self"}, {Href: base + "/"}}}
	updated := time.Time{}
	for _, p := range s.cfg.Library.Posts {
		url := base + views.PostPath(p.Slug)
		date := p.Date.UTC().Format(time.RFC3339)
		f.Entries = append(f.Entries, atomEntry{Title: p.Title, ID: url, Link: atomLink{Href: url}, Published: date,
			Updated: date, Summary: p.Summary, Content: atomContent{Type: "html", Body: string(p.HTML)}})
		if p.Date.After(updated) {
			updated = p.Date
		}
	}
	f.Updated = updated.UTC().Format(time.RFC3339)
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	return c.Send(append([]byte(xml.Header), out...))
}

// sitemap lists the home page, the posts and the pages for search engines.
func (s *Server) sitemap(c *fiber.Ctx) error {
	type entry struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod,omitempty"`
	}
	type urlset struct {
		XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
		URLs    []entry  `xml:"url"`
	}
	base := s.chromeFor(c).BaseURL
	set := urlset{URLs: []entry{{Loc: base + "/"}}}
	for _, p := range s.cfg.Library.Posts {
		set.URLs = append(set.URLs, entry{Loc: base + views.PostPath(p.Slug), LastMod: p.Date.UTC().Format("2006-01-02")})
	}
	for _, p := range s.cfg.Library.Pages {
		set.URLs = append(set.URLs, entry{Loc: base + "/" + p.Slug})
	}
	out, err := xml.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	return c.Send(append([]byte(xml.Header), out...))
}

// robots allows everything and names the sitemap.
func (s *Server) robots(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	return c.SendString("User-agent: *\nAllow: /\nSitemap: " + s.chromeFor(c).BaseURL + "/sitemap.xml\n")
}
