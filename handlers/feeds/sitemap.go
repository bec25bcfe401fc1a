package feeds

import (
	"encoding/xml"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/content"
	"blog/views"
)

// Sitemap lists the home page, the posts, the archive, the tags and the pages for search engines. A list's
// lastmod is its newest post's date.
func (h *Handlers) Sitemap(c *fiber.Ctx) error {
	// A translated post names its versions (and the x-default) as its page does, with xhtml:link elements
	// (the form search engines read in a sitemap). encoding/xml writes a prefixed name as it is given.
	type link struct {
		Rel      string `xml:"rel,attr"`
		HrefLang string `xml:"hreflang,attr"`
		Href     string `xml:"href,attr"`
	}
	type entry struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod,omitempty"`
		Links   []link `xml:"xhtml:link"`
	}
	type urlset struct {
		XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
		XHTML   string   `xml:"xmlns:xhtml,attr"`
		URLs    []entry  `xml:"url"`
	}
	base := h.cfg.Chrome.BaseURL
	lib := h.lib(c)
	day := func(posts []content.Post) string {
		if len(posts) == 0 {
			return ""
		}
		return posts[0].Date.UTC().Format(time.DateOnly)
	}
	set := urlset{XHTML: "http://www.w3.org/1999/xhtml", URLs: []entry{{Loc: base + "/", LastMod: day(lib.Posts)}}}
	// The versions of each text, found in one pass (not one search of every post per post).
	versions := map[string][]content.Post{}
	for _, p := range lib.Posts {
		if p.Translation != "" {
			versions[p.Translation] = append(versions[p.Translation], p)
		}
	}
	for _, p := range lib.Posts {
		e := entry{Loc: base + views.PostPath(p.Slug), LastMod: day([]content.Post{p})}
		var others []content.Post
		for _, o := range versions[p.Translation] {
			if o.Slug != p.Slug {
				others = append(others, o)
			}
		}
		for _, a := range views.PostAlternates(h.cfg.Chrome.Lang, p, others) {
			e.Links = append(e.Links, link{Rel: "alternate", HrefLang: a.Lang, Href: base + a.Path})
		}
		set.URLs = append(set.URLs, e)
	}
	set.URLs = append(set.URLs, entry{Loc: base + "/archive", LastMod: day(lib.Posts)})
	tags := lib.Tags()
	for _, p := range lib.Posts {
		if len(p.Tags) > 0 { // the newest tagged post
			set.URLs = append(set.URLs, entry{Loc: base + "/tags", LastMod: day([]content.Post{p})})
			break
		}
	}
	for _, t := range tags {
		set.URLs = append(set.URLs, entry{Loc: base + views.TagPath(t.Name), LastMod: day(t.Posts)})
	}
	for _, p := range lib.Pages {
		set.URLs = append(set.URLs, entry{Loc: base + "/" + p.Slug})
	}
	out, err := xml.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	return c.Send(append([]byte(xml.Header), out...))
}

// Robots allows everything and names the sitemap.
func (h *Handlers) Robots(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	return c.SendString("User-agent: *\nAllow: /\nDisallow: /admin\nSitemap: " + h.cfg.Chrome.BaseURL + "/sitemap.xml\n")
}
