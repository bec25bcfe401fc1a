// Package handlers is the blog's HTTP surface: routes.go lists every URL; the pages behind the links in
// notification emails and the search page are here, and the other resources have packages of their own below
// it (posts, comments, events, feeds, console, signin), which New builds. Handlers parse requests, call the
// services and stores, and render views; the one error handler here chooses what people see when something
// fails.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"blog/assets"
	"blog/authorship"
	"blog/clientip"
	"blog/content"
	"blog/csrf"
	"blog/database"
	aphandlers "blog/handlers/activitypub"
	"blog/handlers/comments"
	"blog/handlers/console"
	deskhandlers "blog/handlers/desk"
	"blog/handlers/events"
	"blog/handlers/feeds"
	letterhandlers "blog/handlers/newsletter"
	"blog/handlers/pagecache"
	handlerpeople "blog/handlers/people"
	picturehandlers "blog/handlers/pictures"
	posthandlers "blog/handlers/posts"
	reactionhandlers "blog/handlers/reactions"
	"blog/handlers/signin"
	uploadhandlers "blog/handlers/uploads"
	"blog/handlers/web"
	mentionhandlers "blog/handlers/webmention"
	"blog/i18n"
	"blog/limits"
	"blog/live"
	"blog/live/lists"
	"blog/moderation"
	"blog/newsletter"
	"blog/observe"
	"blog/owner"
	"blog/people"
	"blog/publish"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/mentions"
	"blog/repo/outbox"
	"blog/spam"
	"blog/uploads"
	"blog/views"
)

// CommentStore is what the handlers need from the comment store: what the reader's pages, the comment handlers,
// the feeds and the event streams each need.
type CommentStore interface {
	posthandlers.CommentStore
	comments.CommentStore
	feeds.CommentStore
	events.CommentStore
}

var _ CommentStore = (*discussion.Comments)(nil)

// Broker is what the handlers need from the live broker: the posts' rendered lists, the event streams'
// subscriptions, a wait until a write made here has reached them (Sync), and word of every change (OnChange:
// the owner's count of comments waiting).
type Broker interface {
	events.Broker
	web.Syncer
	Lists() *lists.Lists
	// OnChange registers fn to be told about every batch of changes (before the broker runs).
	OnChange(fn live.Apply)
}

var _ Broker = (*live.Broker)(nil)

// Moderation is the door every change of a comment passes: the readers' comments, edits and deletes
// (comments.Moderation), and the owner's actions, bans and replies (console.Moderation).
type Moderation interface {
	comments.Moderation
	console.Moderation
}

var _ Moderation = (*moderation.Service)(nil)

// MaxBody is the largest request body the blog accepts; a comment of 5000 characters fits with room to spare.
const MaxBody = 64 << 10

// MaxDeskBody is the largest body the desk's editor may send (under /admin/posts): a post at its bound
// (desk.MaxBody) with its fields, form-encoded.
const MaxDeskBody = 1 << 20

// MaxCommentsShown caps the comments rendered on a post page; the count still says how many there are.
const MaxCommentsShown = 200

// Config is everything the HTTP layer is built from.
type Config struct {
	// Content is the current posts and pages, with each post's database id; it may change while serving.
	Content    Content
	Comments   CommentStore
	Broker     Broker
	Moderation Moderation
	// Reactions are the rules every reader's reaction passes (reactions.Service).
	Reactions reactionhandlers.Service
	// Assets are the static files; Chrome is what every page's layout shows (see SiteChrome).
	Assets *assets.Set
	Chrome views.Chrome
	Log    *slog.Logger

	// Owner is the blog's owner; with it, /admin serves the sign-in pages and the console (Posts and Audit name
	// the posts and list the audit trail).
	Owner *owner.Owner
	Posts console.Posts
	Audit console.AuditLog
	// Desk is the owner's writing desk (desk.Service): with it, /admin/posts lists, writes and publishes posts.
	Desk deskhandlers.Service
	// PurgeAfter is how long a deleted post can be restored (PURGE_AFTER).
	PurgeAfter time.Duration

	// Done is closed when the server shuts down; open event streams end when it is.
	Done <-chan struct{}
	// Heartbeat is how often an idle event stream sends a comment line (15 s when zero).
	Heartbeat time.Duration
	// MaxStreamsPerClient bounds the event streams one client address (an IPv6 /64 counts as one) may hold open;
	// zero means 16.
	MaxStreamsPerClient int
	// Keys sign the visitors' CSRF tokens and authorship cookies; instances behind one load balancer share them.
	Keys Keys
	// SecureCookies marks cookies Secure even when the request does not look like HTTPS (BASE_URL is https).
	SecureCookies bool
	// TrustedProxies are the addresses whose X-Forwarded-For header is believed.
	TrustedProxies []netip.Prefix
	// RateLimit limits how often one client may post a comment.
	RateLimit limits.Rate
	// EditWindow is how long the browser that posted a comment may edit or delete it; zero means 15 minutes.
	EditWindow time.Duration
	// FormMaxAge is how old a comment form may be before a post from it is sent back to be posted again; zero
	// means 24 hours.
	FormMaxAge time.Duration
	// Metrics, when set, are recorded for every request and served at /metrics.
	Metrics *observe.Metrics
	// MetricsToken, when set, is required as "Authorization: Bearer TOKEN" to read /metrics.
	MetricsToken string
	// MailReplies offers commenters an email when someone replies (mail is configured); Subscriptions records
	// their confirmations and unsubscribes, from the signed links in those emails.
	MailReplies   bool
	Subscriptions Subscriptions
	// People is what a commenter (and the owner) can do about the data held on an address; nil: the data
	// pages are not served.
	People *people.Service
	// Uploads are the rules of the owner's image uploads (uploads.Service); nil: no uploads are taken or served.
	Uploads uploadhandlers.Service
	// Search is the search over posts and published comments behind /search (the header's search box); nil:
	// /search is not served.
	Search Searcher
	// Newsletter is posts by email (subscribing, confirming, unsubscribing); nil: its pages are not served.
	Newsletter *newsletter.Service
	// Ready reports whether the instance can serve (database reachable, schema current), for /readyz.
	Ready func(ctx context.Context) error
	// DatabaseFile, when set, reports database.ErrDatabaseGone once the SQLite file was deleted or replaced
	// (database.DB.CheckFile): a request that failed on a read is then answered 503 like a refused write.
	DatabaseFile func() error
	// Webmentions, when set, is the queue that received Webmentions go to (webmention/queue.Receiver): POST
	// /webmention is served and post pages advertise it. WebmentionRate bounds one client address's requests.
	Webmentions    mentionhandlers.Receiver
	WebmentionRate limits.Rate
	// ActivityPub, when set, is the blog as an ActivityPub actor (activitypub.Service): WebFinger, NodeInfo,
	// the actor and its inbox are served, and posts answer activity+json with their Article. ActivityPubRate
	// bounds one server's posts to the inbox; Version is the program's, as NodeInfo names it.
	ActivityPub     aphandlers.Actor
	ActivityPubRate limits.Rate
	// Following, when set with ActivityPub, is the blog following others (following.Service): the console's
	// Following page.
	Following console.Following
	Version   string
	// Mentioned, when set, reads the likes and reposts other sites sent (by Webmention or from the fediverse),
	// shown under each post.
	Mentioned Mentioned
	// Pictures, when set, are the pictures fetched from other sites (pictures.Service), served at /media/p/NAME.
	Pictures picturehandlers.Opener
}

// Mentioned reads a post's likes and reposts from other sites (mentions.Store).
type Mentioned interface {
	Elsewhere(ctx context.Context, postID int64) (repo.Elsewhere, error)
}

var _ Mentioned = (*mentions.Store)(nil)

// Content is the blog's current content (publish.Store).
type Content interface {
	Current() *publish.Snapshot
	// Slug names a post by its database id, also when its file has gone.
	Slug(id int64) string
	// Problems lists the content files skipped because they could not be read ("posts/x.md: …").
	Problems() []string
}

// Subscriptions records what an address chose about reply notifications (outbox.Notifications).
type Subscriptions interface {
	Subscriber(ctx context.Context, email string) (outbox.Subscriber, bool, error)
	Confirm(ctx context.Context, email string) error
	Unsubscribe(ctx context.Context, email string) error
}

// Keys are the secrets the public handlers sign and hash with, each at least 16 bytes.
type Keys struct {
	CSRF, Authorship, Address, Avatar, Notify []byte
}

// Server holds the handlers' dependencies, and the handlers of the resources that have a package of their own.
type Server struct {
	cfg    Config
	csrf   *csrf.Guard
	mine   *authorship.Signer
	assets *assets.Set
	chrome views.Chrome
	// locale is the blog's language (SITE_LANG), put in every request's context (language).
	locale *i18n.Locale
	// pages keeps the public pages and feeds.
	pages *pagecache.Cache
	// posts are the reader's pages: home, tags, archive, posts, pages, drafts, the content's media.
	posts *posthandlers.Handlers
	// comments are the conversation under a post: posting, paging, the author's own edits.
	comments *comments.Handlers
	// events are the event streams: a post's changes, the owner's count of comments waiting for review.
	events *events.Handlers
	// feeds are what other programs read: the Atom feeds, the sitemap, robots.txt, the share cards.
	feeds *feeds.Handlers
	// signin is the owner's sign-in pages and Require (nil without an owner); console is the owner's console
	// (nil without an owner or moderation).
	signin  *signin.Handlers
	console *console.Handlers
	// desk is the owner's writing desk at /admin/posts (nil without an owner or a desk).
	desk *deskhandlers.Handlers
	// people serves a commenter's data pages and the owner's (nil without Config.People).
	people *handlerpeople.Handlers
	// letters serves posts by email's pages (nil without Config.Newsletter).
	letters *letterhandlers.Handlers
	// reactions are the readers' presses of a reaction under a comment or a post.
	reactions *reactionhandlers.Handlers
	// uploads are the owner's images: uploading, listing, deleting, and serving them to everyone (nil without
	// Config.Uploads or an owner); uploadBody is how large an upload's request may be.
	uploads    *uploadhandlers.Handlers
	uploadBody int
	// webmention is the Webmention endpoint (nil without Config.Webmentions).
	webmention *mentionhandlers.Handlers
	// activitypub is the blog as an ActivityPub actor (nil without Config.ActivityPub).
	activitypub *aphandlers.Handlers
	// pictures serves the pictures fetched from other sites (nil without Config.Pictures).
	pictures *picturehandlers.Handlers
}

// New builds the Fiber app with every route.
func New(cfg Config) (*fiber.App, error) {
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.EditWindow == 0 {
		cfg.EditWindow = 15 * time.Minute
	}
	if cfg.FormMaxAge == 0 {
		cfg.FormMaxAge = 24 * time.Hour
	}
	if cfg.MaxStreamsPerClient == 0 {
		cfg.MaxStreamsPerClient = 16
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Done == nil {
		cfg.Done = make(chan struct{})
	}
	if cfg.Assets == nil {
		return nil, errors.New("handlers: assets are required")
	}
	if cfg.Reactions == nil {
		return nil, errors.New("handlers: the reaction rules are required")
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-cfg.Done; cancel() }()
	if len(cfg.Keys.CSRF) < 16 || len(cfg.Keys.Authorship) < 16 || len(cfg.Keys.Address) < 16 || len(cfg.Keys.Avatar) < 16 {
		return nil, errors.New("handlers: keys of at least 16 bytes are required")
	}
	clients := web.Clients{Trusted: cfg.TrustedProxies}
	s := &Server{cfg: cfg, assets: cfg.Assets, chrome: cfg.Chrome, locale: i18n.Shipped().For(cfg.Chrome.Lang),
		pages: pagecache.New(4096, 48<<20, true), csrf: csrf.New(cfg.Keys.CSRF, cfg.SecureCookies),
		mine: authorship.New(cfg.Keys.Authorship, cfg.SecureCookies)}
	// The posts' rendered conversations and comment counts, kept current by the broker.
	kept := cfg.Broker.Lists()
	var err error
	if s.feeds, err = feeds.New(feeds.Config{Content: cfg.Content, Comments: cfg.Comments, Chrome: cfg.Chrome,
		Pages: s.pages}); err != nil {
		return nil, err
	}
	s.comments = comments.New(comments.Config{Content: cfg.Content, Comments: cfg.Comments, Moderation: cfg.Moderation,
		Broker: cfg.Broker, Lists: kept, Chrome: cfg.Chrome, Pages: s.pages,
		// The older conversations and more replies, which a reader may ask for with any id: kept apart, so they
		// cannot push the pages out.
		Fragments: pagecache.New(1024, 8<<20, false), Mine: s.mine, Clients: clients,
		Hasher: clientip.NewHasher(cfg.Keys.Address), Stamps: spam.NewStamper(cfg.Keys.CSRF), RateLimit: cfg.RateLimit,
		EditWindow: cfg.EditWindow, FormMaxAge: cfg.FormMaxAge, MailReplies: cfg.MailReplies, Metrics: cfg.Metrics,
		Elsewhere: s.elsewhere})
	s.reactions = reactionhandlers.New(reactionhandlers.Config{Content: cfg.Content, Reactions: cfg.Reactions,
		Broker: cfg.Broker, Record: reactionhandlers.NewSigner(cfg.Keys.Authorship, cfg.SecureCookies), Mine: s.mine, Clients: clients})
	if cfg.Webmentions != nil {
		if s.webmention, err = mentionhandlers.New(mentionhandlers.Config{Content: cfg.Content, Receiver: cfg.Webmentions,
			BaseURL: cfg.Chrome.BaseURL, Clients: clients, Hasher: clientip.NewHasher(cfg.Keys.Address),
			Rate: cfg.WebmentionRate}); err != nil {
			return nil, err
		}
	}
	if cfg.ActivityPub != nil {
		s.activitypub = aphandlers.New(aphandlers.Config{Actor: cfg.ActivityPub, Clients: clients, Rate: cfg.ActivityPubRate,
			Version: cfg.Version})
	}
	if cfg.Owner != nil {
		s.signin = signin.New(signin.Config{Owner: cfg.Owner, CSRF: s.csrf, Clients: clients, Chrome: cfg.Chrome,
			SecureCookies: cfg.SecureCookies})
	}
	reader := posthandlers.Config{Content: cfg.Content, Comments: cfg.Comments, Lists: kept, Pages: s.pages,
		Conversation: s.comments, Chrome: cfg.Chrome, Mine: s.mine, MailReplies: cfg.MailReplies,
		SecureCookies: cfg.SecureCookies, Elsewhere: s.elsewhere, Log: cfg.Log}
	if s.signin != nil {
		reader.SignIn = s.signin // the owner's drafts and Pin controls
	}
	s.posts = posthandlers.New(reader)
	if cfg.People != nil {
		pc := handlerpeople.Config{People: cfg.People, Tokens: s.tokens(), Chrome: cfg.Chrome, Lib: s.lib, Clients: clients,
			Hasher: clientip.NewHasher(cfg.Keys.Address)}
		if s.signin != nil {
			pc.OwnerChrome = s.signin.Chrome
		}
		s.people = handlerpeople.New(pc)
	}
	if cfg.Pictures != nil {
		s.pictures = picturehandlers.New(cfg.Pictures)
	}
	if cfg.Uploads != nil && s.signin != nil {
		s.uploads = uploadhandlers.New(uploadhandlers.Config{Uploads: cfg.Uploads, OwnerChrome: s.signin.Chrome})
		s.uploadBody = uploadhandlers.BodyLimit(cfg.Uploads.Limits())
	}
	if cfg.Newsletter != nil {
		lc := letterhandlers.Config{Service: cfg.Newsletter, Chrome: cfg.Chrome, Lib: s.lib,
			Clients: clients, Hasher: clientip.NewHasher(cfg.Keys.Address)}
		if s.signin != nil {
			lc.OwnerChrome = s.signin.Chrome
		}
		s.letters = letterhandlers.New(lc)
	}
	var waiting *moderation.Waiting
	if cfg.Owner != nil && cfg.Moderation != nil {
		cc := console.Config{Content: cfg.Content, Moderation: cfg.Moderation, Posts: cfg.Posts,
			Audit: cfg.Audit, Broker: cfg.Broker, SignIn: s.signin, Author: cfg.Chrome.Author}
		if f, ok := cfg.ActivityPub.(console.Followers); ok {
			cc.Followers = f // the Followers page (ACTIVITYPUB=on)
		}
		cc.Following = cfg.Following
		s.console = console.New(cc)
		// The console's posts store is repo/posts' Posts, which the desk's list needs too (its comments, closed or open).
		if posts, ok := cfg.Posts.(deskhandlers.Posts); ok && cfg.Desk != nil {
			s.desk = deskhandlers.New(deskhandlers.Config{Content: cfg.Content, Desk: cfg.Desk, Posts: posts,
				Broker: cfg.Broker, Chrome: s.signin.Chrome, PurgeAfter: cfg.PurgeAfter})
		}
		waiting = moderation.NewWaiting(cfg.Moderation.Pending, cfg.Log)
		cfg.Broker.OnChange(func(int64, []live.Message) { waiting.Changed() })
		go waiting.Run(ctx)
	}
	s.events = events.New(ctx, events.Config{Content: cfg.Content, Comments: cfg.Comments, Broker: cfg.Broker,
		Moderation: cfg.Moderation, Waiting: waiting, Clients: clients, Heartbeat: cfg.Heartbeat,
		MaxStreamsPerClient: cfg.MaxStreamsPerClient, Metrics: cfg.Metrics, Log: cfg.Log})
	var proxies []string
	for _, p := range cfg.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	app := fiber.New(fiber.Config{
		// X-Forwarded-Proto (the cookies' Secure flag) and X-Forwarded-Host are believed from trusted proxies only.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          proxies,
		ErrorHandler:            s.handleError,
		DisableStartupMessage:   true,
		ReadTimeout:             15 * time.Second,
		WriteTimeout:            30 * time.Second, // event streams take over their connection and set their own
		IdleTimeout:             60 * time.Second,
		// A body over the limit is refused from its Content-Length, before it is read; the listener's lingering
		// close lets the client read the 413 instead of a connection reset. The owner's larger bodies (the
		// desk's editor, an image upload) are let through per request by bodyLimitFor.
		BodyLimit: MaxBody,
	})
	// Event streams close their own connections (see handlers/events): fasthttp must not close them when the hijack
	// handler returns.
	app.Server().KeepHijackedConns = true
	app.Server().HeaderReceived = s.bodyLimitFor
	s.routes(app)
	return app, nil
}

// bodyLimitFor lets the owner's larger requests be larger than MaxBody: an image upload (POST /admin/uploads,
// up to the upload's bound), the desk's editor (POST under /admin/posts/) and a subscriber list's import (up to
// MaxDeskBody, which is letterhandlers.MaxImportBody), and only when
// the session cookie is a current session's (looked up before the body is read; Require checks the rest, the
// form token and the origin, before anything is stored), so nobody but the signed-in owner can make the
// server hold more than MaxBody.
func (s *Server) bodyLimitFor(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	max := s.ownerBody(string(h.Method()), string(h.RequestURI()))
	if max == 0 {
		return fasthttp.RequestConfig{}
	}
	cookie := string(h.Cookie(signin.SessionCookie))
	if cookie == "" || s.signin == nil {
		return fasthttp.RequestConfig{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !s.signin.ValidSession(ctx, cookie) {
		return fasthttp.RequestConfig{}
	}
	return fasthttp.RequestConfig{MaxRequestBodySize: max}
}

// isUpload reports the upload's request (the path without its query).
func (s *Server) isUpload(method, uri string) bool {
	path, _, _ := strings.Cut(uri, "?")
	return method == fiber.MethodPost && path == "/admin/uploads"
}

// ownerBody is the larger bound of the owner's requests that may have one (0: MaxBody applies).
func (s *Server) ownerBody(method, uri string) int {
	if method != fiber.MethodPost {
		return 0
	}
	path, _, _ := strings.Cut(uri, "?")
	switch {
	case path == "/admin/uploads" && s.uploadBody > 0:
		return s.uploadBody
	case strings.HasPrefix(path, "/admin/posts/"), path == "/admin/subscribers/import":
		return MaxDeskBody
	}
	return 0
}

// bodyLimit answers 413 for a body over MaxBody, or over the larger bound of the owner's request that has one.
func (s *Server) bodyLimit() fiber.Handler {
	small, desk := limits.Body(MaxBody), limits.Body(MaxDeskBody)
	upload := small
	if s.uploadBody > 0 {
		upload = limits.Body(s.uploadBody)
	}
	return func(c *fiber.Ctx) error {
		switch s.ownerBody(c.Method(), c.Path()) {
		case 0:
			return small(c)
		case MaxDeskBody:
			return desk(c)
		default:
			return upload(c)
		}
	}
}

// Site is what the owner says about the blog (SITE_* settings).
type Site struct {
	Title, Author, Tagline, Description, Footer string
	// Lang is SITE_LANG: the language of every page (a post's own lang wins on its page).
	Lang string
	// Image is the default share picture: a path on the blog (/media/card.png) or an address; empty: the
	// built-in one.
	Image string
}

// SiteChrome is what every page's layout shows: the site's name, description and address, and the
// fingerprinted asset URLs (the navigation is the current content's, added per request).
func SiteChrome(site Site, baseURL string, set *assets.Set) views.Chrome {
	if site.Author == "" {
		site.Author = site.Title
	}
	if site.Description == "" {
		site.Description = site.Tagline
	}
	if site.Description == "" {
		site.Description = i18n.Shipped().For(site.Lang).F("layout.about", "Site", site.Title)
	}
	image := site.Image
	switch {
	case image == "":
		image = baseURL + set.URL("share.png")
	case strings.HasPrefix(image, "/"):
		image = baseURL + image
	}
	return views.Chrome{Lang: site.Lang, SiteTitle: site.Title, Author: site.Author, BaseURL: baseURL, Tagline: site.Tagline,
		Description: site.Description, Footer: site.Footer, ShareImage: image,
		Font: set.URL("fonts/source-serif-4-latin-wght-normal.woff2"), Assets: views.AssetURLs{
			CSS: set.URL("dist/app.css"), HTMX: set.URL("vendor/htmx.min.js"), SSE: set.URL("dist/sse.js"),
			App: set.URL("dist/app.js"), Admin: set.URL("dist/admin.js"), Favicon: set.URL("favicon.svg"),
			Uploads: set.URL("dist/uploads.js")}}
}

// language puts the page's language in the request's context, where every rendering finds it: the blog's, or
// on a post's addresses (/posts/SLUG and everything under it: comments, fragments, its feed) the post's own.
func (s *Server) language(c *fiber.Ctx) error {
	loc := s.locale
	if rest, ok := strings.CutPrefix(c.Path(), "/posts/"); ok {
		slug, _, _ := strings.Cut(rest, "/")
		if lang := web.Current(c, s.cfg.Content).Lang(slug); lang != "" {
			loc = i18n.Shipped().For(lang)
		}
	}
	c.SetUserContext(i18n.With(c.UserContext(), loc))
	return c.Next()
}

// chromeFor returns the layout's data for this request (web.Chrome).
func (s *Server) chromeFor(c *fiber.Ctx) views.Chrome { return web.Chrome(c, s.chrome, s.lib(c)) }

// lib returns the current posts and pages.
func (s *Server) lib(c *fiber.Ctx) *content.Library { return web.Current(c, s.cfg.Content).Lib }

// elsewhere reads the likes and reposts other sites sent to a post. A failure to read them is logged and shows
// none: the post and its comments are what the page is for.
func (s *Server) elsewhere(ctx context.Context, postID int64) views.ElsewhereView {
	if s.cfg.Mentioned == nil {
		return views.ElsewhereView{}
	}
	e, err := s.cfg.Mentioned.Elsewhere(ctx, postID)
	if err != nil {
		s.cfg.Log.Error("reading likes and reposts", "post", postID, "err", err)
		return views.ElsewhereView{}
	}
	return e
}

// render writes a component as the response with the given status.
func render(c *fiber.Ctx, status int, comp templ.Component) error {
	return views.Render(c, status, comp)
}

// handleError is the one place that turns an error into a response: known HTTP errors get their page, anything
// else is logged with context and shown as a plain 500 page.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	if !i18n.Carried(c.UserContext()) {
		// Refused before the routes ran (a body over the limit): the page still speaks the blog's language.
		c.SetUserContext(i18n.With(c.UserContext(), s.locale))
	}
	status := fiber.StatusInternalServerError
	var fe *fiber.Error
	var refusal web.Refusal
	if errors.As(err, &refusal) {
		c.Status(refusal.Status)
		if web.IsHTMX(c) && refusal.NoticeID != "" {
			c.Set("HX-Reswap", "none")
			return render(c, refusal.Status, views.Notice0(refusal.NoticeID, refusal.Msg))
		}
		if web.IsHTMX(c) && c.Method() == fiber.MethodPost {
			c.Set("HX-Reswap", "none")
			return render(c, refusal.Status, views.FormNotice(refusal.Msg, true))
		}
		title, _ := messageFor(refusal.Status)
		return render(c, refusal.Status, views.ErrorPage(s.chromeFor(c), refusal.Status, title, refusal.Msg))
	}
	switch {
	case errors.As(err, &fe):
		status = fe.Code
	case errors.Is(err, repo.ErrNotFound):
		status = fiber.StatusNotFound
	case errors.Is(err, database.ErrDatabaseGone):
		status = fiber.StatusServiceUnavailable
	case s.cfg.DatabaseFile != nil && errors.Is(s.cfg.DatabaseFile(), database.ErrDatabaseGone):
		// A read on a file that is no longer the database ("no such table"): the same answer as a write gets.
		status = fiber.StatusServiceUnavailable
	}
	if status == fiber.StatusBadGateway {
		// The blog proxies nothing: Fiber says 502 when the connection failed while a request was being read (a
		// client that reset it, say). No handler ran, nothing went wrong here, and nobody is left to answer.
		s.cfg.Log.Debug("connection failed while its request was read", "err", err)
		return nil
	}
	title, msg := messageFor(status)
	if status == fiber.StatusRequestEntityTooLarge && s.uploadBody > 0 && s.isUpload(c.Method(), c.Path()) {
		msg = "This file is too large: an image can be at most " + uploads.Size(int64(s.cfg.Uploads.Limits().MaxBytes)) + "."
		fe = fiber.NewError(status, msg)
	}
	if status >= 500 {
		s.cfg.Log.Error("request failed", "request_id", observe.RequestID(c), "method", c.Method(), "path", c.Path(),
			"status", status, "err", err)
		if !errors.As(err, &fe) {
			s.cfg.Metrics.DBError()
		}
	}
	if status == fiber.StatusRequestEntityTooLarge {
		s.cfg.Metrics.Refused("body_too_large")
	}
	if fe != nil && status < 500 && strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON) {
		// A script's request (passkeys): the handler's own sentence, as JSON.
		return c.Status(status).JSON(fiber.Map{"error": fe.Message})
	}
	if web.IsHTMX(c) && c.Method() == fiber.MethodPost {
		// Leave the form as the visitor filled it; only show the message beside the button.
		c.Set("HX-Reswap", "none")
		return render(c, status, views.FormNotice(msg, true))
	}
	return render(c, status, views.ErrorPage(s.chromeFor(c), status, title, msg))
}

func messageFor(status int) (title, msg string) {
	switch status {
	case fiber.StatusNotFound:
		return "Page not found", "There is nothing at this address. It may have moved, or the link may be mistyped."
	case fiber.StatusMethodNotAllowed:
		return "Not allowed", "This address does not accept that kind of request."
	case fiber.StatusRequestEntityTooLarge:
		return "Too large", "What you sent is too large. Comments can be at most 5000 characters."
	case fiber.StatusTooManyRequests:
		return "Slow down", "You are posting too quickly. Please wait a few seconds and try again."
	case fiber.StatusUnauthorized:
		return "Sign in first", "This page is for the blog's owner. Please sign in."
	case fiber.StatusConflict:
		return "Not done", "That could not be done in the current state. Please reload the page and try again."
	case fiber.StatusForbidden:
		return "Not allowed", "This request was refused. Please reload the page and try again."
	case fiber.StatusBadRequest:
		return "Bad request", "The request could not be understood. Please reload the page and try again."
	case fiber.StatusUnsupportedMediaType:
		return "Unsupported", "Please send the comment form as a normal web form."
	}
	if status == fiber.StatusServiceUnavailable {
		return "Not available right now", "The blog cannot take comments at the moment. Your text is kept; please try again in a little while."
	}
	if status >= 500 {
		return "Something went wrong", "The page could not be shown because of a problem on our side. Please try again in a moment."
	}
	return "Request not served", "The request could not be served."
}
