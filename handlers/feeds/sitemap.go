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
	type entry struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod,omitempty"`
	}
	type urlset struct {
		XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
		URLs    []entry  `xml:"url"`
	}
	base := h.cfg.Chrome.BaseURL
	lib := h.lib()
	day := func(posts []content.Post) string {
		if len(posts) == 0 {
			return ""
		}
		return posts[0].Date.UTC().Format(time.DateOnly)
	}
	set := urlset{URLs: []entry{{Loc: base + "/", LastMod: day(lib.Posts)}}}
	for _, p := range lib.Posts {
		set.URLs = append(set.URLs, entry{Loc: base + views.PostPath(p.Slug), LastMod: day([]content.Post{p})})
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
