package feeds

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"blog/content"
	"blog/handlers/web"
	"blog/i18n"
	"blog/publish"
	"blog/repo"
	"blog/views"
)

// atomFeed is an Atom document (RFC 4287): the posts at /feed.xml, the comments at /comments.xml and
// /posts/{slug}/comments.xml.
type atomFeed struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang     string      `xml:"xml:lang,attr,omitempty"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle,omitempty"`
	ID       string      `xml:"id"`
	Updated  string      `xml:"updated"`
	Author   *atomAuthor `xml:"author,omitempty"`
	Links    []atomLink  `xml:"link"`
	Entries  []atomEntry `xml:"entry"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomEntry struct {
	// Lang is set on a post written in another language than the feed's (its lang front matter).
	Lang      string      `xml:"xml:lang,attr,omitempty"`
	Title     string      `xml:"title"`
	ID        string      `xml:"id"`
	Author    *atomAuthor `xml:"author,omitempty"`
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

// Posts serves the posts as an Atom feed, newest first, with their full text (its links made absolute, so a
// feed reader can follow them and load the images).
func (h *Handlers) Posts(c *fiber.Ctx) error {
	return h.postsFeed(c, h.cfg.Chrome.SiteTitle, "/feed.xml", "/", h.lib(c).Posts)
}

// Tag serves the posts with one tag as an Atom feed.
func (h *Handlers) Tag(c *fiber.Ctx) error {
	t, ok := h.lib(c).TagBySlug(c.Params("tag"))
	if !ok {
		return fiber.ErrNotFound
	}
	return h.postsFeed(c, h.cfg.Chrome.SiteTitle+": "+t.Name, views.TagFeedPath(t.Name), views.TagPath(t.Name), t.Posts)
}

func (h *Handlers) postsFeed(c *fiber.Ctx, title, self, page string, posts []content.Post) error {
	base := h.cfg.Chrome.BaseURL
	f := atomFeed{Lang: i18n.From(c.UserContext()).Lang, Title: title, ID: base + page, Author: &atomAuthor{Name: h.cfg.Chrome.Author}, Subtitle: h.cfg.Chrome.Tagline,
		Links: []atomLink{{Href: base + self, Rel: "self", Type: atomType}, {Href: base + page, Rel: "alternate", Type: "text/html"}}}
	var updated time.Time
	for _, p := range posts {
		url := base + views.PostPath(p.Slug)
		date := p.Date.UTC().Format(time.RFC3339)
		lang := p.Lang
		if lang == f.Lang {
			lang = ""
		}
		f.Entries = append(f.Entries, atomEntry{Lang: lang, Title: p.Title, ID: url, Link: atomLink{Href: url, Rel: "alternate"},
			Published: date, Updated: date, Summary: p.Summary, Content: atomContent{Type: "html", Body: absolute(string(p.HTML), base)}})
		if p.Date.After(updated) {
			updated = p.Date
		}
	}
	f.Updated = feedTime(updated)
	return sendFeed(c, f)
}

const atomType = "application/atom+xml"

// absolute makes the site-relative links and images of an HTML fragment absolute.
func absolute(html, base string) string {
	r := strings.NewReplacer(` href="/`, ` href="`+base+`/`, ` src="/`, ` src="`+base+`/`)
	return strings.ReplaceAll(r.Replace(html), base+"//", "//") // a protocol-relative URL stays as it was
}

func sendFeed(c *fiber.Ctx, f atomFeed) error {
	c.Set(fiber.HeaderContentType, atomType+"; charset=utf-8")
	return writeFeed(c, f)
}

func writeFeed(w io.Writer, f atomFeed) error {
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append([]byte(xml.Header), out...))
	return err
}

// cachedFeed serves a comments feed from the page cache: built when the comments it lists may have changed
// (head is where the feed of changes stands), once for every reader. build reads the posts from snap.
func (h *Handlers) cachedFeed(c *fiber.Ctx, snap *publish.Snapshot, head int64, build func() (atomFeed, error)) error {
	// The posts' titles are in it too: a new content snapshot builds it again.
	base := fmt.Sprintf("%d|%d", snap.Version(), head)
	return h.cfg.Pages.ServeAs(c, c.Path(), base, 0, "", atomType+"; charset=utf-8", func(w io.Writer) error {
		f, err := build()
		if err != nil {
			return err
		}
		return writeFeed(w, f)
	})
}

// feedSize is how many comments a comments feed carries.
const feedSize = 50

// Comments serves the newest published comments of the whole blog as an Atom feed.
func (h *Handlers) Comments(c *fiber.Ctx) error {
	head, err := h.cfg.Comments.FeedHead(c.UserContext())
	if err != nil {
		return err
	}
	snap := web.Current(c, h.cfg.Content)
	return h.cachedFeed(c, snap, head, func() (atomFeed, error) {
		comments, err := h.cfg.Comments.SearchComments(c.UserContext(), repo.Search{State: repo.StatePublished, Limit: feedSize})
		base := h.cfg.Chrome.BaseURL
		loc := i18n.From(c.UserContext())
		return h.commentFeed(loc, comments, loc.F("layout.comments_on", "Title", h.cfg.Chrome.SiteTitle), base+"/comments.xml", base+"/", newestPostDate(snap.Lib)), err
	})
}

// PostComments serves the newest published comments of one post as an Atom feed.
func (h *Handlers) PostComments(c *fiber.Ctx) error {
	snap := web.Current(c, h.cfg.Content)
	p, postID, err := web.LookupPost(c, snap)
	if err != nil {
		return err
	}
	st, err := h.cfg.Comments.PostStamp(c.UserContext(), postID)
	if err != nil {
		return err
	}
	return h.cachedFeed(c, snap, st.Seq, func() (atomFeed, error) {
		comments, err := h.cfg.Comments.SearchComments(c.UserContext(), repo.Search{State: repo.StatePublished, PostID: postID, Limit: feedSize})
		base := h.cfg.Chrome.BaseURL
		loc := i18n.From(c.UserContext())
		return h.commentFeed(loc, comments, loc.F("feeds.post_comments", "Title", p.Title), base+views.CommentsFeedPath(p.Slug), base+views.PostPath(p.Slug), p.Date), err
	})
}

// commentFeed builds a comments feed. Each entry's id is its permalink, which never changes; its time is when
// it was posted, or last edited. The feed's own time is its newest entry's, and never earlier than since (the
// post's date, or the newest post's for the whole blog), so an empty feed is dated when its post was.
func (h *Handlers) commentFeed(loc *i18n.Locale, comments []repo.Comment, title, self, page string, since time.Time) atomFeed {
	f := atomFeed{Lang: loc.Lang, Title: title, ID: self, Author: &atomAuthor{Name: loc.F("feeds.readers", "Site", h.cfg.Chrome.SiteTitle)},
		Links: []atomLink{{Href: self, Rel: "self", Type: atomType}, {Href: page, Rel: "alternate", Type: "text/html"}}}
	updated := since
	for _, cm := range comments {
		url := h.cfg.Chrome.BaseURL + views.PostPath(cm.Post.Slug) + "#" + views.CommentAnchor(cm.ID)
		at := cm.CreatedAt
		if cm.EditedAt != nil {
			at = *cm.EditedAt
		}
		if at.After(updated) {
			updated = at
		}
		f.Entries = append(f.Entries, atomEntry{Title: loc.F("feeds.comment_by", "Name", cm.Byline(), "Title", cm.Post.Title), ID: url,
			Author: &atomAuthor{Name: cm.Byline()}, Link: atomLink{Href: url, Rel: "alternate"},
			Published: cm.CreatedAt.UTC().Format(time.RFC3339), Updated: at.UTC().Format(time.RFC3339),
			Content: atomContent{Type: "html", Body: string(cm.Rendered())}})
	}
	f.Updated = feedTime(updated)
	return f
}

// newestPostDate is the date of the newest published post of lib (zero when there is none).
func newestPostDate(lib *content.Library) time.Time {
	if posts := lib.Posts; len(posts) > 0 {
		return posts[0].Date
	}
	return time.Time{}
}

// feedTime writes a feed's <updated>. Atom requires one; a feed with nothing dated in it (a blog without
// posts) says now rather than the year 1 or 1970.
func feedTime(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Format(time.RFC3339)
}
