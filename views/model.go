// Package views holds the blog's templ components: one layout, the pages, and the small pieces the handlers
// render on their own (the comment list, one comment, the form).
package views

import (
	"context"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"

	"blog/content"
	"blog/repo"
	"blog/sharecard"
)

// Chrome is what every page's layout needs: the site's name, its navigation and the asset URLs.
type Chrome struct {
	// Lang is the blog's language (SITE_LANG); a page's words follow the locale its rendering context carries.
	Lang      string
	SiteTitle string
	// Author is the blog's author, for feeds and metadata.
	Author string
	// BaseURL makes canonical, Open Graph and feed URLs absolute (BASE_URL, or the server's own address).
	BaseURL string
	Nav     []NavLink
	Assets  AssetURLs
	// CSRFToken is sent by htmx in a header and by plain forms in a hidden field.
	CSRFToken string
	// Owner is set on the signed-in owner's pages.
	Owner bool
	// Tagline is shown under the blog's name on the home page; Description describes the blog to search engines
	// and link previews; Footer is the footer's sentence; ShareImage the absolute address of the picture shown
	// when a page is shared (a post's own image wins).
	Tagline, Description, Footer, ShareImage string
	// Font is the address of the reading typeface's Latin file, preloaded so the text settles at once.
	Font string
	// Newsletter shows the "Get new posts by email" box (mail is configured).
	Newsletter bool
	// Followers shows the owner's Followers page in the console (ACTIVITYPUB=on).
	Followers bool
	// Webmention is the address of the blog's Webmention endpoint, advertised by every post ("" when off).
	Webmention string
}

// ForRequest returns the chrome for one request, with the token its forms carry. Its base URL stays the
// configured one: absolute URLs are never built from what a request says about its host.
func (ch Chrome) ForRequest(token string) Chrome {
	ch.CSRFToken = token
	return ch
}

// NavLink is one entry of the header navigation. Current marks the section the page is in (a post is in Posts);
// Here marks the link to the very page shown. The header says aria-current="page" for the one and "true" for
// the other, as GOV.UK's service navigation does.
type NavLink struct {
	Title   string
	Href    string
	Current bool
	Here    bool
}

// Navigation is the header's links: the posts, the archive, then the pages, with the one the path is in marked.
// Only pages that belong to a section mark it: the home page's pages and the posts are in Posts, the archive
// and each page in their own; the tag pages are in none (there is no Tags entry), and pages that are in no
// section whatever their path (an error, a draft's preview) use Chrome.OutsideSections.
func Navigation(pages []content.Page, path string) []NavLink {
	nav := []NavLink{{Title: "Posts", Href: "/"}, {Title: "Archive", Href: "/archive"}}
	for _, p := range pages {
		nav = append(nav, NavLink{Title: p.Title, Href: "/" + p.Slug})
	}
	for i, l := range nav {
		switch {
		case l.Href == "/":
			nav[i].Current = path == "/" || strings.HasPrefix(path, "/page/") || strings.HasPrefix(path, "/posts/")
		default:
			nav[i].Current = path == l.Href || strings.HasPrefix(path, l.Href+"/")
		}
		nav[i].Here = path == l.Href
	}
	return nav
}

// OutsideSections returns the chrome with no navigation entry marked, for a page that is in no section
// whatever its address says: an error page (a missing post is not in Posts) or a draft's preview (not yet a
// post).
func (ch Chrome) OutsideSections() Chrome {
	nav := make([]NavLink, len(ch.Nav))
	for i, l := range ch.Nav {
		nav[i] = NavLink{Title: l.Title, Href: l.Href}
	}
	ch.Nav = nav
	return ch
}

// ariaCurrent is a marked navigation link's aria-current: "page" for the page itself, "true" for its section.
func ariaCurrent(l NavLink) string {
	if l.Here {
		return "page"
	}
	return "true"
}

// AssetURLs are the fingerprinted URLs of the stylesheet and scripts.
type AssetURLs struct {
	CSS, HTMX, SSE, App, Admin, Favicon string
	// Uploads is the owner pages' script that uploads images dropped, pasted or chosen into a Markdown field.
	Uploads string
}

// Meta describes one page for the layout: its title, description and canonical path.
type Meta struct {
	Title       string
	Description string
	Path        string
	// Article marks a post, which gets Open Graph article tags.
	Article bool
	// Published is the post's date, for Open Graph.
	Published time.Time
	// CommentsFeed is the address of the page's comments feed (a post's), announced beside the site's feeds.
	CommentsFeed string
	// Feed and FeedTitle announce one more feed (a tag's).
	Feed, FeedTitle string
	// Image is the picture shown when the page is shared (absolute), instead of the site's; ImageAlt says what
	// it shows and ImageWidth and ImageHeight its size, when they are known.
	Image                   string
	ImageAlt                string
	ImageWidth, ImageHeight int
	// NoIndex keeps the page out of search engines (a draft's preview).
	NoIndex bool
	// Static marks a page with nothing live or in place (the lists, a page, an error): it loads the page
	// script only, not htmx and its event-stream extension, so a first visit parses a third of the script.
	Static bool
	// Alternates are the page in other languages (a post translated), announced to search engines with
	// hreflang; empty for a page that exists in one language only.
	Alternates []Alternate
}

// Alternate is one language's version of a page.
type Alternate struct {
	Lang, Path string
}

// HomeView is one page of the home page's list.
type HomeView struct {
	Posts       []PostSummary
	Page, Pages int
}

// PageHref is the address of page n of the home page.
func PageHref(n int) string {
	if n <= 1 {
		return "/"
	}
	return "/page/" + strconv.Itoa(n)
}

// TagView is a tag's page.
type TagView struct {
	Tag   content.Tag
	Posts []PostSummary
}

// TagPath is a tag's page, TagFeedPath its feed.
func TagPath(tag string) string     { return "/tags/" + content.TagSlug(tag) }
func TagFeedPath(tag string) string { return TagPath(tag) + "/feed.xml" }

// ArchiveYear is one year of the archive, newest posts first.
type ArchiveYear struct {
	Year  int
	Posts []content.Post
}

// Archive groups posts (newest first) by year.
func Archive(posts []content.Post) []ArchiveYear {
	var out []ArchiveYear
	for _, p := range posts {
		y := p.Date.Year()
		if len(out) == 0 || out[len(out)-1].Year != y {
			out = append(out, ArchiveYear{Year: y})
		}
		out[len(out)-1].Posts = append(out[len(out)-1].Posts, p)
	}
	return out
}

// PostSummary is one entry of the home page's list.
type PostSummary struct {
	Post     content.Post
	Comments int
}

// PostView is everything the post page shows.
type PostView struct {
	Post content.Post
	List ListView
	Form FormView
	// Older and Newer are the posts before and after this one, when there are.
	Older, Newer *content.Post
	// Elsewhere are the likes and reposts other sites sent by Webmention.
	Elsewhere ElsewhereView
	// Translations are the same post in other languages (the same translation key in the front matter).
	Translations []content.Post
}

// postPageMeta is a post page's metadata: the article's, and its versions in other languages for search
// engines (hreflang, itself included, as they ask), only when there are some.
func postPageMeta(ch Chrome, v PostView) Meta {
	m := articleMeta(ch, v.Post)
	m.Alternates = PostAlternates(ch.Lang, v.Post, v.Translations)
	return m
}

// XDefault is the hreflang of the version shown to a reader whose language none of the versions is.
const XDefault = "x-default"

// PostAlternates are a post's versions in every language, for search engines (the page's hreflang links and
// the sitemap): itself first, then its translations, then the x-default, the version in the blog's language
// (siteLang), or else the one written first. A post in one language has none.
func PostAlternates(siteLang string, p content.Post, translations []content.Post) []Alternate {
	if len(translations) == 0 {
		return nil
	}
	out := []Alternate{{Lang: langOr(p.Lang, siteLang), Path: PostPath(p.Slug)}}
	first := p
	for _, o := range translations {
		out = append(out, Alternate{Lang: langOr(o.Lang, siteLang), Path: PostPath(o.Slug)})
		if o.Date.Before(first.Date) || (o.Date.Equal(first.Date) && o.Slug < first.Slug) {
			first = o
		}
	}
	def := PostPath(first.Slug)
	for _, a := range out {
		if strings.EqualFold(a.Lang, langOr("", siteLang)) {
			def = a.Path
			break
		}
	}
	return append(out, Alternate{Lang: XDefault, Path: def})
}

func langOr(lang, site string) string {
	if lang != "" {
		return lang
	}
	if site != "" {
		return site
	}
	return "en"
}

// ElsewhereView is how many likes and reposts other sites sent, with the names (and addresses) of the newest.
type ElsewhereView = repo.Elsewhere

// Face is one person on another site: their name and, when trusted, their address there.
type Face = repo.Face

// Item is one rendered comment of a list.
type Item struct {
	ID   int64
	HTML string
}

// ListView is a post's conversations, rendered once and reused by every page view.
type ListView struct {
	// HTML is the rendered conversations, oldest first, ending with the empty state.
	HTML string
	// Seq is the post's change feed sequence the list reflects; the live stream starts after it.
	Seq int64
	// Older, when positive, pages in the conversations started before this comment id.
	Older int64
	// Total is how many published comments the post has.
	Total int
	// Closed reports a post that takes no new comments: its comments stay, the form gives way to a notice.
	Closed bool
	// Reactions are the readers' reactions to the post itself.
	Reactions repo.Tally
	// Order is how the conversations are arranged ("oldest", "newest", "top"; empty is oldest).
	Order string
	// Ranked marks "top" on a post with more conversations than a page shows: its most reacted ones of all,
	// with no older ones to page in (every conversation is in the other orders).
	Ranked bool
}

// BuildList joins rendered conversations, oldest first, into a list view.
func BuildList(items []Item, seq int64, total int, older int64) ListView {
	var b strings.Builder
	n := 0
	for _, it := range items {
		n += len(it.HTML)
	}
	b.Grow(n)
	for _, it := range items {
		b.WriteString(it.HTML)
	}
	return ListView{HTML: b.String(), Seq: seq, Total: total, Older: older}
}

// FormView is the comment form's state: the visitor's input, messages by field, and whether a comment was just
// posted.
type FormView struct {
	Slug   string
	Input  repo.CommentInput
	Errors repo.FieldErrors
	// Notice is a message beside the button that is not about one field (for example "slow down"); NoticeFor,
	// when set, is how long it holds (the page script takes it away then).
	Notice    string
	NoticeFor time.Duration
	// EditUntil is when the time to change the comment just posted ends.
	EditUntil time.Time
	Posted    bool
	// Held is set with Posted when the comment waits for the owner's approval.
	Held bool
	// CSRFToken is sent back with the form (and by htmx in a header).
	CSRFToken string
	// Stamp is the form's signed timestamp, which the spam rules read.
	Stamp string
	// ParentID and ParentName name the comment the form answers (0 for a new conversation).
	ParentID   int64
	ParentName string
	// Preview is the comment's text rendered, when the visitor asked to see it before posting.
	Preview string
	// OfferNotify shows the "email me when someone replies" box (mail is configured); Notify is its state.
	OfferNotify, Notify bool
}

// CommentsPath is the URL that takes a comment form's POST.
func CommentsPath(slug string) string { return "/posts/" + slug + "/comments" }

// ReplyPath is the address that opens the comment form answering a comment (without JavaScript).
func ReplyPath(slug string, id int64) string {
	return "/posts/" + slug + "?reply_to=" + strconv.FormatInt(id, 10) + "#comment-form"
}

// CommentPath is a comment's own address: its text (GET, for htmx) and its edits (POST).
func CommentPath(slug string, id int64) string {
	return "/posts/" + slug + "/comments/" + strconv.FormatInt(id, 10)
}

// EditPath is the address of the form that edits a comment.
func EditPath(slug string, id int64) string { return CommentPath(slug, id) + "/edit" }

// DeletePath is the address that deletes one's own comment.
func DeletePath(slug string, id int64) string { return CommentPath(slug, id) + "/delete" }

// PreviewPath is the address that shows a comment before it is posted.
func PreviewPath(slug string) string { return "/posts/" + slug + "/comments/preview" }

// OlderPath is the URL of the comments of a post older than the comment before.
func OlderPath(slug string, before int64) string {
	return "/posts/" + slug + "/comments?before=" + strconv.FormatInt(before, 10)
}

// RepliesPath is the address of a conversation's replies after the reply after.
func RepliesPath(slug string, top, after int64) string {
	return CommentPath(slug, top) + "/replies?after=" + strconv.FormatInt(after, 10)
}

// ThreadView is a conversation as a list shows it: its top-level comment, the replies shown (its first ones, and
// a reader's own beyond them), and More published replies after After that "show more" pages in.
type ThreadView struct {
	Top     repo.Comment
	Replies []repo.Comment
	More    int
	After   int64
}

// ThreadViews turns conversations read from the database into views: each shows its first replies.
func ThreadViews(threads []repo.Thread) []ThreadView {
	out := make([]ThreadView, len(threads))
	for i, t := range threads {
		out[i] = ThreadView{Top: t.Top, Replies: t.Replies, More: t.More}
		if n := len(t.Replies); n > 0 {
			out[i].After = t.Replies[n-1].ID
		}
	}
	return out
}

// CommentsFeedPath is the address of a post's comments feed.
func CommentsFeedPath(slug string) string { return "/posts/" + slug + "/comments.xml" }

// EventsPath is the URL of a post's live comment stream.
func EventsPath(slug string) string { return "/posts/" + slug + "/events" }

// PostPath is the URL of a post.
func PostPath(slug string) string { return "/posts/" + slug }

// OwnNoticeID is the id of the place beside a visitor's own comment where a refusal to change it is shown.
func OwnNoticeID(id int64) string { return "comment-" + strconv.FormatInt(id, 10) + "-notice" }

// CommentAnchor is the id of a comment's element, which its URL fragment and the live stream's de-duplication use.
func CommentAnchor(id int64) string { return "comment-" + strconv.FormatInt(id, 10) }

// ExactTime writes a comment's time in full, in UTC.
func ExactTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// goneState names, for the page script, why a comment left the page: deleted, or held (pending or spam), which
// its author's own page keeps showing.
func goneState(state string) string {
	if repo.Held(state) {
		return "held"
	}
	return "deleted"
}

// ISO formats t as an exact UTC timestamp for a <time datetime>.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// avatar draws a 5x5 mirrored pattern in one colour from seed, the keyed hash of the commenter's email (hex,
// repo.User.Avatar), as an SVG path of unit squares. Only the pattern reaches the page: neither the email nor its
// hash does. Without a seed the picture is left blank rather than drawn from something guessable.
func avatar(seed string) (color, path string) {
	sum, err := hex.DecodeString(seed)
	if err != nil || len(sum) < 4 {
		return "transparent", ""
	}
	hue := int(sum[0])<<8 | int(sum[1])
	color = "hsl(" + strconv.Itoa(hue%360) + " 55% 42%)"
	d := make([]byte, 0, 25*12)
	square := func(x, y int) {
		d = append(d, 'M', byte('0'+x), ' ', byte('0'+y), 'h', '1', 'v', '1', 'h', '-', '1', 'z')
	}
	for i := 0; i < 15; i++ {
		if sum[2+i/8]>>(i%8)&1 == 1 {
			row, col := i/3, i%3
			square(col, row)
			if col != 2 {
				square(4-col, row)
			}
		}
	}
	return color, string(d)
}

// NotifyView is the page behind a link in a notification email: it asks before acting, then says it is done.
type NotifyView struct {
	// Purpose is "confirm" or "unsubscribe".
	Purpose   string
	Email     string
	Token     string
	Done      bool
	CSRFToken string
	// Unsubscribed is set on the unsubscribe page of a mailbox that gets no email; Resubscribe is then a
	// confirmation token for the button that brings it back.
	Unsubscribed bool
	Resubscribe  string
}

func homeTitle(ctx context.Context, ch Chrome, v HomeView) string {
	if v.Page > 1 {
		return tf(ctx, "home.title_page", "Page", num(ctx, v.Page))
	}
	return ch.SiteTitle
}

// CardPath is the address of a post's share card. Its version changes with the title and the blog's name, so
// a link preview that kept an older picture fetches the new one.
func CardPath(site string, p content.Post) string {
	return PostPath(p.Slug) + "/card.png?v=" + sharecard.Version(site, p.Title)
}

// articleMeta describes a post's page for the layout. Its share image is the post's own when it names one,
// otherwise the card the blog draws for it (its title and the blog's name, 1200x630). A title the card's
// typeface cannot write leaves the blog's name alone on the card, and the picture's words say so; when neither
// can be written the page names no picture rather than an empty frame.
func articleMeta(ch Chrome, p content.Post) Meta {
	m := Meta{Title: p.Title, Description: p.Summary, Path: PostPath(p.Slug), Article: true, Published: p.Date,
		CommentsFeed: CommentsFeedPath(p.Slug), Image: postImage(ch, p)}
	if p.Image == "" && sharecard.Says(ch.SiteTitle, p.Title) {
		m.Image = ch.BaseURL + CardPath(ch.SiteTitle, p)
		m.ImageAlt = ch.SiteTitle
		if sharecard.DrawsTitle(p.Title) {
			m.ImageAlt = p.Title + " · " + ch.SiteTitle
		}
		m.ImageWidth, m.ImageHeight = sharecard.Width, sharecard.Height
	}
	return m
}

// postImage is the absolute address of a post's own share image, when it names one.
func postImage(ch Chrome, p content.Post) string {
	switch {
	case p.Image == "":
		return ""
	case strings.HasPrefix(p.Image, "https://") || strings.HasPrefix(p.Image, "http://"):
		return p.Image
	case strings.HasPrefix(p.Image, "/"):
		return ch.BaseURL + p.Image
	}
	return ch.BaseURL + "/media/" + p.Image
}

func originHost(ctx context.Context, source string) string {
	u, err := url.Parse(source)
	if err != nil || u.Hostname() == "" {
		return t(ctx, "comments.another_site")
	}
	return strings.TrimPrefix(u.Hostname(), "www.")
}

// authorOf is the blog's author as its posts' h-card names them: SITE_AUTHOR, else the blog's name.
func authorOf(ch Chrome) string {
	if ch.Author != "" {
		return ch.Author
	}
	return ch.SiteTitle
}

// inReplyTo is what a comment answers, as its h-cite's u-in-reply-to says: the comment it replies to, else the
// post.
func inReplyTo(slug string, c repo.Comment) string {
	if c.ParentID != nil {
		return PostPath(slug) + "#" + CommentAnchor(*c.ParentID)
	}
	return PostPath(slug)
}
