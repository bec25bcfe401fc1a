package handlers

import (
	"github.com/gofiber/fiber/v2"

	mentionhandlers "blog/handlers/webmention"
	"blog/headers"
	"blog/observe"
)

// routes is the blog's whole URL surface.
func (s *Server) routes(app *fiber.App) {
	app.Use(observe.NewRequestID(), observe.Requests(s.cfg.Log, s.cfg.Metrics, s.handleError), headers.Security,
		s.bodyLimit(), headers.CompressPages(), s.language)
	app.Get("/healthz", s.healthz)
	if s.cfg.Metrics != nil && s.cfg.MetricsToken != "" {
		// Private by default: on the public port only behind a token (METRICS_ADDR serves it privately).
		app.Get("/metrics", s.cfg.Metrics.Handler(s.cfg.MetricsToken))
	}
	app.Get("/readyz", s.readyz)
	app.Get("/assets/*", s.assets.Serve)
	app.Get("/favicon.ico", s.favicon)
	if s.uploads != nil {
		// Uploaded images, from the database (handlers/uploads); the content folder's files are below.
		app.Get("/media/u/:name", s.uploads.Serve)
	}
	if s.pictures != nil {
		// Pictures fetched from other sites (an author's photo), from the database (handlers/pictures).
		app.Get("/media/p/:name", s.pictures.Serve)
	}
	// The images in posts, from the content folder (handlers/posts).
	app.Get("/media/*", s.posts.Media)
	app.Get("/feed.xml", s.feeds.Posts)
	app.Get("/comments.xml", s.feeds.Comments)
	app.Get("/posts/:slug/comments.xml", s.feeds.PostComments)
	app.Get("/posts/:slug/card.png", s.feeds.Card)
	app.Get("/sitemap.xml", s.feeds.Sitemap)
	app.Get("/robots.txt", s.feeds.Robots)

	csrf := s.csrf.Middleware
	// The public pages: cross-site posts refused by the browser's own headers, no per-visitor token, so every
	// reader gets the same bytes.
	same := s.csrf.SameOrigin
	// The owner's side. Signing in and the one-time setup are open (their forms are CSRF-guarded like the
	// comment form); everything else under /admin needs the owner's session (and its form token).
	if o := s.signin; o != nil && s.cfg.Moderation != nil {
		app.Get("/admin/login", csrf, o.LoginPage)
		app.Post("/admin/login", csrf, o.Login)
		app.Post("/admin/login/passkey/begin", csrf, o.PasskeyLoginBegin)
		app.Post("/admin/login/passkey/finish", csrf, o.PasskeyLoginFinish)
		app.Get("/admin/setup", csrf, o.SetupPage)
		app.Post("/admin/setup", csrf, o.Setup)
		app.Post("/admin/setup/passkey/begin", csrf, o.SetupPasskeyBegin)
		app.Post("/admin/setup/passkey/finish", csrf, o.SetupPasskeyFinish)
		owner := o.Require
		app.Get("/admin", owner, s.console.Page)
		app.Post("/admin/comments", owner, s.console.Act)
		app.Post("/admin/comments/:id/reply", owner, s.console.Reply)
		app.Get("/admin/pending", owner, s.events.PendingCount)
		app.Get("/admin/events", owner, s.events.OwnerEvents)
		app.Get("/admin/form-token", owner, s.console.FormToken)
		if d := s.desk; d != nil {
			app.Get("/admin/posts", owner, d.List)
			app.Post("/admin/posts", owner, d.Create)
			app.Post("/admin/posts/preview", owner, d.Preview)
			app.Get("/admin/posts/:id<int>/edit", owner, d.Edit)
			app.Post("/admin/posts/:id<int>", owner, d.Save)
			app.Post("/admin/posts/:id<int>/autosave", owner, d.Autosave)
			app.Post("/admin/posts/:id<int>/preview", owner, d.Preview)
			app.Post("/admin/posts/:id<int>/publish", owner, d.Publish)
			app.Post("/admin/posts/:id<int>/schedule", owner, d.Schedule)
			app.Post("/admin/posts/:id<int>/unpublish", owner, d.Unpublish)
			app.Post("/admin/posts/:id<int>/delete", owner, d.Delete)
			app.Post("/admin/posts/:id<int>/restore", owner, d.Restore)
			app.Get("/admin/posts/:id<int>/versions", owner, d.Versions)
			app.Post("/admin/posts/:id<int>/versions/:v<int>/restore", owner, d.RestoreVersion)
			app.Post("/admin/posts/:slug/comments", owner, d.SetComments)
		}
		app.Get("/admin/bans", owner, s.console.BansPage)
		app.Post("/admin/bans", owner, s.console.AddBan)
		app.Post("/admin/bans/:id/delete", owner, s.console.RemoveBan)
		app.Get("/admin/audit", owner, s.console.AuditPage)
		app.Get("/admin/account", owner, o.AccountPage)
		app.Post("/admin/account/password", owner, o.SetPasswordForm)
		app.Post("/admin/account/passkey/begin", owner, o.AddPasskeyBegin)
		app.Post("/admin/account/passkey/finish", owner, o.AddPasskeyFinish)
		app.Post("/admin/account/credentials/:id/delete", owner, o.RemoveCredential)
		app.Post("/admin/logout", owner, o.Logout)
		if u := s.uploads; u != nil {
			app.Get("/admin/uploads", owner, u.Page)
			app.Post("/admin/uploads", owner, u.Upload)
			app.Post("/admin/uploads/:name/delete", owner, u.Delete)
		}
		if p := s.people; p != nil {
			app.Get("/admin/people", owner, p.OwnerPage)
			app.Get("/admin/people/export", owner, p.OwnerExport)
			app.Post("/admin/people/erase", owner, p.OwnerErase)
		}
		if s.activitypub != nil && s.cfg.ActivityPub != nil {
			app.Get("/admin/followers", owner, s.console.FollowersPage)
			app.Post("/admin/followers/block", owner, s.console.BlockServer)
			app.Post("/admin/followers/:id<int>/delete", owner, s.console.RemoveFollower)
			if s.cfg.Following != nil {
				app.Get("/admin/following", owner, s.console.FollowingPage)
				app.Post("/admin/following", owner, s.console.Follow)
				app.Post("/admin/following/:id<int>/delete", owner, s.console.Unfollow)
			}
		}
		if l := s.letters; l != nil {
			app.Get("/admin/subscribers", owner, l.OwnerPage)
			app.Get("/admin/subscribers/export", owner, l.OwnerExport)
			app.Post("/admin/subscribers/import", owner, l.OwnerImport)
		}
		app.All("/admin/*", owner, func(*fiber.Ctx) error { return fiber.ErrNotFound })
	}

	app.Get("/notify/confirm", same, s.confirmPage)
	app.Post("/notify/confirm", same, s.confirm)
	app.Get("/notify/unsubscribe", same, s.unsubscribePage)
	// No form token: mail programs send this POST on their own (RFC 8058); the signed link is the proof.
	app.Post("/notify/unsubscribe", s.unsubscribe)

	// Posts by email: the box's answer, and the pages behind the links in its mail.
	if l := s.letters; l != nil {
		app.Get("/newsletter", same, l.Form)
		app.Post("/newsletter", same, l.Subscribe)
		app.Get("/newsletter/confirm", same, l.ConfirmPage)
		app.Post("/newsletter/confirm", same, l.Confirm)
		app.Get("/newsletter/unsubscribe", same, l.UnsubscribePage)
		// No form token: mail programs send this POST on their own (RFC 8058); the signed link is the proof.
		app.Post("/newsletter/unsubscribe", l.Unsubscribe)
	}

	// What a commenter can do about their data: ask for a link mailed to their address, then download or erase.
	if p := s.people; p != nil {
		app.Get("/your-data", same, p.RequestPage)
		app.Post("/your-data", same, p.Request)
		app.Get("/your-data/manage", same, p.Manage)
		app.Get("/your-data/export", same, p.Export)
		app.Post("/your-data/erase", same, p.Erase)
	}

	// The reader's pages of the content (handlers/posts): these, and /posts/:slug and /:page below.
	app.Get("/", same, s.posts.Home)
	app.Get("/page/:n<int>", same, s.posts.Home)
	app.Get("/archive", same, s.posts.Archive)
	app.Get("/tags", same, s.posts.Tags)
	app.Get("/tags/:tag/feed.xml", s.feeds.Tag)
	app.Get("/tags/:tag", same, s.posts.Tag)
	if s.cfg.Search != nil {
		app.Get("/search", same, s.search)
	}
	if a := s.activitypub; a != nil {
		// The blog as an ActivityPub actor (handlers/activitypub): the inbox takes other servers' signed
		// POSTs, so no origin check; bounded per server.
		app.Get("/.well-known/webfinger", a.WebFinger)
		app.Get("/.well-known/nodeinfo", a.NodeInfoLinks)
		app.Get("/nodeinfo/2.1", a.NodeInfo)
		app.Get("/ap/actor", a.ActorDoc)
		app.Post("/ap/inbox", a.Inbox)
		app.Get("/ap/outbox", a.Outbox)
		app.Get("/ap/followers", a.Followers)
		app.Get("/ap/comments/:id<int>", a.Note)
		// A post's address answers activity+json with its Article (before the page and its cache).
		app.Get("/posts/:slug", a.Post)
	}
	if s.webmention != nil {
		// Other sites' notifications: a cross-site POST by design, so no origin check; bounded per client.
		app.Post(mentionhandlers.Path, s.webmention.Receive)
		app.Get("/posts/:slug", same, mentionhandlers.Advertise, s.posts.Post)
	} else {
		app.Get("/posts/:slug", same, s.posts.Post)
	}
	// A comment posted with the owner's session is the owner's (published, with the author badge).
	app.Post("/posts/:slug/comments", same, s.ownerComments, s.comments.Create)
	app.Get("/posts/:slug/comments", same, s.comments.Older)
	app.Get("/posts/:slug/comments/fresh", s.comments.Fresh)
	app.Post("/posts/:slug/comments/preview", same, s.comments.Preview)
	app.Get("/posts/:slug/comments/:id<int>", same, s.comments.Part)
	app.Post("/posts/:slug/comments/:id<int>", same, s.comments.Edit)
	app.Get("/posts/:slug/comments/:id<int>/edit", same, s.comments.EditForm)
	app.Get("/posts/:slug/comments/:id<int>/replies", same, s.comments.Replies)
	app.Post("/posts/:slug/comments/:id<int>/delete", same, s.comments.Delete)
	app.Post("/posts/:slug/reactions", same, s.reactions.Press)
	app.Get("/posts/:slug/events", s.events.PostEvents)
	app.Get("/:page", same, s.posts.Page)
	// Anything else is a 404 from the error handler.

}
