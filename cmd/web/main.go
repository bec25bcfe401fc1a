// Command web runs the blog: `web` serves it; its sub-commands manage the schema, backups, comments, bans and the
// owner's sign-in (see usage). run is the one composition root: it reads the configuration (cmd/web/config) and
// builds every piece to serve, or hands a command to cmd/web/operator (or the package below it that holds the
// command) with what the command shares with the server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	// The image is FROM scratch: the binary carries the time zones and the CA roots (for mail relays and
	// webhooks over TLS) itself.
	_ "time/tzdata"

	"blog/activitypub"
	"blog/activitypub/following"
	"blog/assets"
	"blog/clientip"
	"blog/cmd/web/config"
	"blog/cmd/web/operator"
	"blog/cmd/web/operator/comments"
	contentcmds "blog/cmd/web/operator/content"
	"blog/cmd/web/operator/fediverse"
	"blog/content"
	"blog/database"
	"blog/database/schema"
	"blog/desk"
	"blog/fetch"
	"blog/handlers"
	mentionhandlers "blog/handlers/webmention"
	"blog/headers"
	"blog/i18n"
	"blog/limits"
	"blog/live"
	"blog/moderation"
	"blog/newsletter"
	"blog/notify"
	"blog/observe"
	"blog/owner"
	"blog/people"
	"blog/pictures"
	"blog/publish"
	"blog/reactions"
	"blog/repo"
	"blog/repo/accounts"
	"blog/repo/discussion"
	"blog/repo/federation"
	"blog/repo/mentions"
	"blog/repo/outbox"
	picturestore "blog/repo/pictures"
	"blog/repo/posts"
	"blog/repo/review"
	"blog/repo/searchindex"
	"blog/repo/subscribers"
	"blog/repo/tallies"
	uploadstore "blog/repo/uploads"
	"blog/repo/writing"
	"blog/search"
	"blog/uploads"
	"blog/views"
	"blog/webmention/queue"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "web:", err)
		os.Exit(1)
	}
}

// run is the whole program: it parses the command, reads the environment and runs until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	op := operatorCommands(cfg, stdin, stdout)
	onComments := &comments.Commands{Commands: op}
	onContent := &contentcmds.Commands{Commands: op}
	onFediverse := &fediverse.Commands{Commands: op}
	switch cmd {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	case "serve":
		return serve(ctx, cfg, stderr)
	case "migrate":
		return op.Migrate(ctx, args)
	case "backup":
		return op.Backup(ctx, args)
	case "restore":
		return op.Restore(ctx, args)
	case "health":
		return op.Health(ctx)
	case "comments":
		return onComments.Comments(ctx, args)
	case "posts":
		return onContent.Posts(ctx, args)
	case "ban":
		return onComments.Ban(ctx, args)
	case "reactions":
		return onComments.Reactions(ctx, args)
	case "images":
		return onContent.Images(ctx, args)
	case "owner":
		return op.Owner(ctx, args)
	case "import":
		return onComments.Import(ctx, args)
	case "export":
		return onComments.Export(ctx, args)
	case "people":
		return onComments.People(ctx, args)
	case "subscribers":
		return op.Subscribers(ctx, args)
	case "followers":
		return onFediverse.Followers(ctx, args)
	case "following":
		return onFediverse.Following(ctx, args)
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", cmd)
}

// operatorCommands returns the commands besides serving, with what they share with the server: the moderation
// service built as serve builds it (changes reach running servers through the feed), and the content loaded as
// serve loads it.
func operatorCommands(cfg config.Config, stdin io.Reader, stdout io.Writer) *operator.Commands {
	return &operator.Commands{Config: cfg, Stdin: stdin, Stdout: stdout,
		Moderation: func(ctx context.Context, db *database.DB) (*moderation.Service, error) {
			keys, err := siteKeys(ctx, cfg, db)
			if err != nil {
				return nil, err
			}
			return newModeration(cfg, db, keys), nil
		},
		LoadContent: func(ctx context.Context, db *database.DB) error {
			_, _, err := loadContent(ctx, cfg, db, newLogger(cfg, io.Discard))
			return err
		},
		Desk: func(ctx context.Context, db *database.DB) (*desk.Service, error) {
			_, d, err := loadContent(ctx, cfg, db, newLogger(cfg, io.Discard))
			return d, err
		},
	}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs the blog until ctx ends: it opens and migrates the database, loads the content, starts the live
// broker and the background work, builds the app and serves, then shuts down gracefully.
func serve(ctx context.Context, cfg config.Config, logw io.Writer) error {
	log := newLogger(cfg, logw)

	db, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	site, writer, err := loadContent(ctx, cfg, db, log)
	if err != nil {
		return err
	}
	keys, err := siteKeys(ctx, cfg, db)
	if err != nil {
		return err
	}
	comments := commentStore(db, keys)
	broker, err := newBroker(ctx, comments, postLocales{site, i18n.Shipped().For(cfg.Site.Lang)}, log)
	if err != nil {
		return err
	}
	// Every change this process commits is handed to the broker at once; other processes' and instances' come
	// through the database's watcher (startBackground).
	db.OnCommit(broker.Poke)
	mod := newModeration(cfg, db, keys)
	files := assets.FS()
	if cfg.AssetsDir != "" {
		files = assets.Dir(cfg.AssetsDir)
	}
	set, err := assets.NewSet(files)
	if err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		log.Warn("BASE_URL is not set: canonical links, feeds and the sitemap use the server's own address", "address", cfg.PublicBase())
	}
	chrome := handlers.SiteChrome(cfg.Site, cfg.PublicBase(), set)
	if cfg.Webmention {
		chrome.Webmention = mentionhandlers.Path
	}
	chrome.Followers = cfg.ActivityPub
	own, err := newOwner(cfg, db, keys, log)
	if err != nil {
		return err
	}
	done := make(chan struct{})      // closed at shutdown: ends every event stream
	listening := make(chan struct{}) // closed once the address is bound
	var metrics *observe.Metrics
	if cfg.Metrics {
		metrics = observe.NewMetrics(broker.Streams)
		if cfg.MetricsAddr != "" {
			go serveMetrics(cfg.MetricsAddr, metrics, log)
		}
	}
	var letters *newsletter.Service
	notifier := newNotifier(cfg, db, site, keys, metrics, log, func(ctx context.Context, m notify.Mail) (notify.Mail, error) {
		return letters.Expand(ctx, m)
	})
	letters = newLetters(cfg, db, site, keys, notifier, log)
	chrome.Newsletter = letters.CanSubscribe()
	if cfg.Notify.SMTP == nil && cfg.Notify.OwnerEmail != "" {
		log.Warn("OWNER_EMAIL is set but SMTP_URL is not: no mail is sent")
	}
	broker.OnChange(func(int64, []live.Message) { notifier.Wake() })
	// A post written, published or taken down in the desk, here or on another instance: the content is read
	// again before the change reaches anyone (the owner's next page already shows it).
	broker.OnChange(func(_ int64, msgs []live.Message) {
		if live.HasContent(msgs) {
			site.ReloadForChange(ctx)
			letters.Wake()
		}
	})
	pics := newPictures(cfg, db)
	// What each load changes (a post published, come at its time, changed or taken down) open pages are told.
	site.OnDifference(broker.Announce)
	var receiver *queue.Receiver
	if cfg.Webmention {
		var sender *queue.Sender
		receiver, sender, err = newWebmentions(cfg, db, mod, pics, log)
		if err != nil {
			return err
		}
		rctx, stop := context.WithCancel(ctx)
		stopped := make(chan struct{}, 2)
		go func() { receiver.Run(rctx); stopped <- struct{}{} }()
		if sender != nil {
			go func() { sender.Run(rctx); stopped <- struct{}{} }()
			site.OnLoad(func(snap *publish.Snapshot) { sender.Published(snap.Lib.Posts) })
		} else {
			stopped <- struct{}{}
		}
		defer func() { stop(); <-stopped; <-stopped }() // before the database closes
	}
	var fed *activitypub.Service
	var follows *following.Service
	if cfg.ActivityPub {
		if fed, follows, err = newFederation(ctx, cfg, db, site, mod, pics, log); err != nil {
			return err
		}
		fctx, stop := context.WithCancel(ctx)
		stopped := make(chan struct{})
		// Deliveries wait until the blog listens: the servers they reach read its key from it at once.
		go func() {
			select {
			case <-listening:
				fed.Run(fctx)
			case <-fctx.Done():
			}
			close(stopped)
		}()
		defer func() { stop(); <-stopped }() // before the database closes
		site.OnLoad(fed.Loaded)
		// The owner's reply to a fediverse comment goes back to its server, and its deletion after it: every
		// instance sees the change, the store sends each once.
		broker.OnChange(func(_ int64, msgs []live.Message) {
			for _, m := range msgs {
				if c := m.Comment; c != nil && c.ByOwner && c.ParentID != nil {
					send := fed.OwnerReplied
					if c.State == repo.StateDeleted {
						send = fed.OwnerRemoved
					}
					if err := send(ctx, *c); err != nil && ctx.Err() == nil {
						log.Error("activitypub: sending the owner's reply", "comment", c.ID, "state", c.State, "err", err)
					}
				}
			}
		})
	}
	app, err := buildApp(cfg, db, site, comments, broker, mod, own, set, chrome, keys, metrics, done, log,
		newPeople(cfg, db, mod, notifier, keys), writer, letters, receiver, pics, fed, follows)
	if err != nil {
		return err
	}
	if err := announceSetupLink(ctx, cfg, own, log); err != nil {
		return err
	}
	stopBackground := startBackground(ctx, cfg, db, site, writer, broker, mod, own, notifier, letters, log)
	defer stopBackground()
	return listenAndServe(ctx, cfg, app, done, listening, db, len(site.Library().Posts), metrics, log)
}

// openDatabase opens the database and applies pending migrations (or refuses to start with pending ones when
// AUTO_MIGRATE=false).
func openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (*database.DB, error) {
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	db.SetLogger(log)
	if cfg.AutoMigrate {
		err = schema.Up(ctx, db)
	} else if pending, perr := schema.Pending(ctx, db); perr != nil {
		err = perr
	} else if len(pending) > 0 {
		err = fmt.Errorf("%d migration(s) pending and AUTO_MIGRATE=false: run `web migrate up` first", len(pending))
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// loadContent reads the posts and pages (CONTENT_DIR or the built-in sample, and the posts written in the desk)
// and gives every post its row. A file that cannot be read is skipped and logged, naming it; the rest is served.
// It returns the content and the desk, which refuses the slugs the folder's files use.
func loadContent(ctx context.Context, cfg config.Config, db *database.DB, log *slog.Logger) (*publish.Store, *desk.Service, error) {
	var contentFS fs.FS = content.Embedded()
	if cfg.ContentDir != "" {
		if st, err := os.Stat(cfg.ContentDir); err != nil || !st.IsDir() {
			return nil, nil, fmt.Errorf("CONTENT_DIR=%s is not a folder", cfg.ContentDir)
		}
		// A root, not a plain folder: nothing in it (a symbolic link) can lead to a file outside it.
		root, err := os.OpenRoot(cfg.ContentDir)
		if err != nil {
			return nil, nil, fmt.Errorf("CONTENT_DIR: %w", err)
		}
		contentFS = root.FS()
	}
	writer := &desk.Service{Store: writing.New(db)}
	index := searchindex.New(db)
	site, err := publish.Open(ctx, contentFS, posts.NewPosts(db), log, publish.CloseAfter(cfg.CloseAfter), publish.WithDesk(writer),
		// Every load feeds the search index of posts before it is served.
		publish.OnLoad(func(ctx context.Context, snap *publish.Snapshot) error { return search.IndexSnapshot(ctx, index, snap) }))
	if err != nil {
		return nil, nil, err
	}
	writer.FileSlug, writer.FilePage, writer.Library = site.FileSlug, site.FilePage, site.Library
	return site, writer, nil
}

// newBroker returns the live broker, starting from where every post's feed stands now.
func newBroker(ctx context.Context, comments *discussion.Comments, posts live.Posts, log *slog.Logger) (*live.Broker, error) {
	stamps, err := comments.PostStamps(ctx)
	if err != nil {
		return nil, err
	}
	starts := make(map[int64]int64, len(stamps))
	for id, st := range stamps {
		starts[id] = st.Seq
	}
	return live.New(comments, posts, starts, log), nil
}

// postLocales names the posts for the broker and gives each its language: its own lang, or the blog's.
type postLocales struct {
	*publish.Store
	site *i18n.Locale
}

// Locale is the locale the post's comments are rendered in.
func (p postLocales) Locale(postID int64) *i18n.Locale {
	if lang := p.Lang(postID); lang != "" {
		return i18n.Shipped().For(lang)
	}
	return p.site
}

// commentStore is the comment store every part of the server uses: every comment it returns carries its author's
// keyed avatar, whichever path (a page, a post just made, an edit, the console, a mail) draws it.
func commentStore(db *database.DB, keys siteKeySet) *discussion.Comments {
	return discussion.NewComments(db, discussion.AvatarKey(keys.Avatar))
}

// newModeration returns the moderation service.
func newModeration(cfg config.Config, db *database.DB, keys siteKeySet) *moderation.Service {
	return &moderation.Service{Comments: review.NewComments(db, discussion.AvatarKey(keys.Avatar)),
		BanStore: review.NewBans(db), Hasher: clientip.NewHasher(keys.Address), Mode: cfg.Moderation, Rules: cfg.Rules}
}

// newReactions returns the rules every reader's reaction passes: the bans (moderation's store, so a ban added in
// the console applies to reactions at once, an email's to the browser that commented with it) and the rate, over
// the reaction store.
func newReactions(cfg config.Config, db *database.DB, keys siteKeySet, bans reactions.Bans) *reactions.Service {
	return &reactions.Service{Store: tallies.New(db), Bans: bans, Authors: discussion.NewComments(db),
		Hasher: clientip.NewHasher(keys.Address), NoLimit: cfg.RateLimit.Every == 0}
}

// newOwner returns the blog's owner: their credentials, sessions and sign-in limits (handlers serves the pages).
func newOwner(cfg config.Config, db *database.DB, keys siteKeySet, log *slog.Logger) (*owner.Owner, error) {
	return owner.New(owner.Config{Store: accounts.NewOwner(db), Audit: repo.NewAudit(db), Key: keys.Owner,
		BaseURL: cfg.BaseURL, SiteTitle: cfg.SiteTitle, Log: log})
}

// announceSetupLink logs, while the blog has no owner, a new one-time link that lets whoever holds it claim the
// blog (the server's log is only readable by whoever runs it).
func announceSetupLink(ctx context.Context, cfg config.Config, own *owner.Owner, log *slog.Logger) error {
	link, err := own.SetupLink(ctx)
	if err != nil || link == "" {
		return err
	}
	log.Warn("this blog has no owner yet: open the setup link to claim it (valid until used; a new one is made at each start)",
		"setup_link", cfg.SetupBase()+link)
	return nil
}

// buildApp builds the HTTP app with every route.
func buildApp(cfg config.Config, db *database.DB, site *publish.Store, comments *discussion.Comments,
	broker *live.Broker, mod *moderation.Service, own *owner.Owner, set *assets.Set, chrome views.Chrome, keys siteKeySet,
	metrics *observe.Metrics, done chan struct{}, log *slog.Logger, ppl *people.Service, writer *desk.Service,
	letters *newsletter.Service, receiver *queue.Receiver, pics *pictures.Service, fed *activitypub.Service,
	follows *following.Service) (*fiber.App, error) {
	hc := handlers.Config{People: ppl, Desk: writer, PurgeAfter: cfg.PurgeAfter, Newsletter: letters,
		MaxStreamsPerClient: cfg.MaxStreams,
		Content:             site, Comments: comments, Broker: broker, Moderation: mod, Assets: set, Chrome: chrome,
		Reactions: newReactions(cfg, db, keys, mod.BanStore),
		Uploads:   uploads.New(uploadstore.New(db), cfg.Uploads, uploads.CheckUse(writer.ImageUsers)),
		Owner:     own, Posts: posts.NewPosts(db), Audit: repo.NewAudit(db), Log: log, Done: done,
		Keys: handlers.Keys{CSRF: keys.CSRF, Authorship: keys.Authorship, Address: keys.Address, Avatar: keys.Avatar,
			Notify: keys.Notify},
		MailReplies: cfg.Notify.SMTP != nil, Subscriptions: outbox.NewNotifications(db),
		SecureCookies:  strings.HasPrefix(cfg.BaseURL, "https://"),
		TrustedProxies: cfg.Trusted, RateLimit: cfg.RateLimit, FormMaxAge: cfg.FormMaxAge, EditWindow: cfg.EditWindow,
		Metrics: metrics, MetricsToken: cfg.MetricsToken,
		Search:       search.New(searchindex.New(db), site),
		Pictures:     pics,
		DatabaseFile: db.CheckFile,
		Ready: func(ctx context.Context) error {
			if err := db.Ping(ctx); err != nil {
				return err
			}
			pending, err := schema.Pending(ctx, db)
			if err == nil && len(pending) > 0 {
				err = errors.New("migrations pending")
			}
			return err
		},
	}
	if receiver != nil {
		hc.Webmentions, hc.WebmentionRate = receiver, cfg.WebmentionRate
	}
	if fed != nil {
		hc.ActivityPub, hc.ActivityPubRate, hc.Following = fed, cfg.ActivityPubRate, follows
	}
	if receiver != nil || fed != nil {
		hc.Mentioned = mentions.New(db)
	}
	return handlers.New(hc)
}

// newFederation returns the blog as an ActivityPub actor: its key pair from the database, actors read and
// activities delivered by the safe client (non-public addresses refused unless ACTIVITYPUB_ALLOW_PRIVATE),
// replies screened by moderation like any comment, and the bans' domains refusing servers; and the blog
// following others, which the actor's inbox hands what they send.
func newFederation(ctx context.Context, cfg config.Config, db *database.DB, site *publish.Store, mod *moderation.Service,
	pics *pictures.Service, log *slog.Logger) (*activitypub.Service, *following.Service, error) {
	if cfg.BaseURL == "" && !cfg.ActivityPubPrivate {
		return nil, nil, errors.New("ACTIVITYPUB=on needs BASE_URL: other servers know the blog by its public address")
	}
	f := fetch.New(fetch.Config{AllowPrivate: cfg.ActivityPubPrivate, MaxBytes: 256 << 10, Timeout: 20 * time.Second,
		UserAgent: cfg.SiteTitle + " (ActivityPub; " + cfg.PublicBase() + ")"})
	st := federation.New(db)
	follows := following.New(following.Config{Store: st, Fetch: f, PlainHTTP: cfg.ActivityPubPrivate, Log: log})
	fed, err := activitypub.New(ctx, activitypub.Config{Store: st, Moderation: mod, Bans: mod.BanStore, Content: site, Pictures: pics,
		Fetch: f, BaseURL: cfg.PublicBase(), Username: cfg.ActivityPubUsername, Title: cfg.SiteTitle,
		Summary: cfg.Site.Description, Icon: cfg.PublicBase() + "/assets/share.png", Log: log,
		MovedTo: cfg.ActivityPubMovedTo, AlsoKnownAs: cfg.ActivityPubAlsoKnownAs, Following: follows})
	if err != nil {
		return nil, nil, err
	}
	follows.SetRemote(fed)
	return fed, follows, nil
}

// newPictures returns the copies of pictures other sites name (an author's photo): fetched once by the safe
// client (non-public addresses refused unless WEBMENTION_ALLOW_PRIVATE or ACTIVITYPUB_ALLOW_PRIVATE), kept in the database, served at
// /media/p/NAME.
func newPictures(cfg config.Config, db *database.DB) *pictures.Service {
	f := fetch.New(pictures.FetchConfig(cfg.WebmentionPrivate || cfg.ActivityPubPrivate, cfg.SiteTitle+" (pictures; "+cfg.PublicBase()+")"))
	return pictures.New(picturestore.New(db), f, pictures.Limits{})
}

// newWebmentions returns the queue of received Webmentions and its verifier (sources fetched by the safe client,
// non-public addresses refused unless WEBMENTION_ALLOW_PRIVATE; replies and mentions stored through moderation
// like any comment), and the sender of the posts' own Webmentions. The sender is nil while the blog has no
// public address (BASE_URL unset), unless WEBMENTION_ALLOW_PRIVATE says this is a test on one machine: the
// pages linked to could not fetch a source at the server's own address.
func newWebmentions(cfg config.Config, db *database.DB, mod *moderation.Service, pics *pictures.Service, log *slog.Logger) (*queue.Receiver, *queue.Sender, error) {
	f := fetch.New(fetch.Config{AllowPrivate: cfg.WebmentionPrivate, UserAgent: cfg.SiteTitle + " (Webmention; " + cfg.PublicBase() + ")"})
	st := mentions.New(db)
	receiver := queue.NewReceiver(st, mod, f, log)
	receiver.Pictures = pics
	if cfg.BaseURL == "" && !cfg.WebmentionPrivate {
		return receiver, nil, nil
	}
	sender, err := queue.NewSender(st.Sends(), f, cfg.PublicBase(), log)
	return receiver, sender, err
}

// newPeople returns what commenters (and the owner) can do about the data held on an address: links are mailed
// through the notifier's outbox when mail is configured.
func newPeople(cfg config.Config, db *database.DB, mod *moderation.Service, notifier *notify.Service, keys siteKeySet) *people.Service {
	p := &people.Service{Moderation: mod, Mailboxes: outbox.NewNotifications(db), Subscriptions: subscribers.New(db), Key: keys.Notify}
	if cfg.Notify.SMTP != nil {
		p.Mailer = notifier
	}
	return p
}

// newNotifier returns the service that turns changes into mail and webhooks and sends them.
func newNotifier(cfg config.Config, db *database.DB, site *publish.Store, keys siteKeySet,
	metrics *observe.Metrics, log *slog.Logger, expand func(context.Context, notify.Mail) (notify.Mail, error)) *notify.Service {
	n := cfg.Notify
	nc := notify.Config{Store: outbox.NewNotifications(db), Comments: commentStore(db, keys), SiteTitle: cfg.SiteTitle,
		BaseURL: cfg.PublicBase(), From: n.From, OwnerEmail: n.OwnerEmail, OwnerAll: n.OwnerNotify == "all",
		Digest: n.Digest, PerHour: n.PerHour, Tokens: notify.Tokens{Key: keys.Notify}, WebhookURL: n.WebhookURL,
		WebhookSecret: []byte(n.WebhookSecret), Backoff: n.Retry, Log: log, Metrics: metrics,
		Post: func(id int64) (string, string) { return site.Slug(id), site.Title(id) }, PostLang: site.Lang, Expand: expand,
		Locale: i18n.Shipped().For(cfg.Site.Lang)}
	if n.SMTP != nil {
		nc.Mailer = n.SMTP
	}
	if n.OwnerNotify == "off" {
		nc.OwnerEmail = ""
	}
	return notify.New(nc)
}

// newLetters returns posts by email: subscriptions, and each new post mailed through the notifier's outbox.
func newLetters(cfg config.Config, db *database.DB, site *publish.Store, keys siteKeySet, notifier *notify.Service, log *slog.Logger) *newsletter.Service {
	n := cfg.Notify
	return newsletter.New(newsletter.Config{Store: subscribers.New(db), Site: site, Mail: n.SMTP != nil,
		Tokens: notify.Tokens{Key: keys.Notify}, SiteTitle: cfg.SiteTitle, BaseURL: cfg.PublicBase(),
		Full: n.Newsletter != "summary", PerMinute: n.PerMinute, Wake: notifier.Wake, Log: log,
		Locale: i18n.Shipped().For(cfg.Site.Lang)})
}

// startBackground starts the work that runs beside the requests: the live broker, the watcher that tells it
// about changes made by other processes and instances, and the daily purge of deleted comments. The returned
// function stops it all and waits.
func startBackground(ctx context.Context, cfg config.Config, db *database.DB, site *publish.Store, writer *desk.Service,
	broker *live.Broker, mod *moderation.Service, own *owner.Owner, notifier *notify.Service, letters *newsletter.Service,
	log *slog.Logger) func() {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { broker.Run(bctx) })
	// Each instance keeps its own timer for the next scheduled post.
	wg.Go(func() { site.RunSchedule(bctx) })
	wg.Go(func() {
		if err := db.WatchChanges(bctx, broker.Poke, broker.Resync, func() {}); err != nil && bctx.Err() == nil {
			log.Error("watching for changes stopped", "err", err)
		}
	})
	wg.Go(func() { purgeDaily(bctx, mod, own, writer, cfg.PurgeAfter, log) })
	if cfg.CloseAfter > 0 {
		wg.Go(func() { noteClosings(bctx, posts.NewPosts(db), log) })
	}
	wg.Go(func() {
		// Comments stored before renderings were kept (or by older rules) are rendered again once; until then
		// they are rendered when shown.
		if n, err := discussion.NewComments(db).RenderStale(bctx); err != nil && bctx.Err() == nil {
			log.Error("render comments again", "err", err)
		} else if n > 0 {
			log.Info("rendered comments again with the current rules", "count", n)
		}
	})
	// The notifier runs even with nothing configured: it keeps its place in the change feed, so turning mail on
	// later does not announce the past.
	wg.Go(func() { notifier.Run(bctx) })
	wg.Go(func() { letters.Run(bctx) })
	if cfg.ContentDir != "" {
		wg.Go(func() {
			if err := site.Watch(bctx, cfg.ContentDir); err != nil {
				log.Error("content: cannot watch the folder; changes need a restart", "dir", cfg.ContentDir, "err", err)
			}
		})
	}
	return func() { cancel(); wg.Wait() }
}

// purgeDaily deletes for good, at start and then every day, the comments deleted more than after ago, and the
// owner's expired sessions.
func purgeDaily(ctx context.Context, mod *moderation.Service, own *owner.Owner, writer *desk.Service, after time.Duration, log *slog.Logger) {
	for {
		if n, err := writer.Purge(ctx, after); err != nil && ctx.Err() == nil {
			log.Error("purge deleted posts", "err", err)
		} else if n > 0 {
			log.Info("purged deleted posts", "count", n)
		}
		if _, err := own.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
			log.Error("purge expired sessions", "err", err)
		}
		if n, err := mod.Purge(ctx, repo.ActorServer, after); err != nil && ctx.Err() == nil {
			log.Error("purge deleted comments", "err", err)
		} else if n > 0 {
			log.Info("purged deleted comments", "count", n, "deleted_before", time.Now().Add(-after).Format(time.DateOnly))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}

// closingsEvery is how often the server looks for posts that COMMENTS_CLOSE_AFTER has just closed (one indexed
// read). A comment is refused the moment its post's time passes; this only brings open pages along.
const closingsEvery = 10 * time.Second

// noteClosings records in their feeds the posts whose time under COMMENTS_CLOSE_AFTER has passed, so that open
// pages and kept lists close too (each post once, whichever instance gets there first).
func noteClosings(ctx context.Context, postStore *posts.Posts, log *slog.Logger) {
	for {
		if n, err := postStore.NoteClosings(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Error("close posts by COMMENTS_CLOSE_AFTER", "err", err)
		} else if n > 0 {
			log.Info("posts closed to comments by COMMENTS_CLOSE_AFTER", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(closingsEvery):
		}
	}
}

// listenAndServe serves until ctx ends, then closes every event stream and every idle connection, gives a
// connection part-way through sending a request half a second to send the rest (so the shutdown waits for none
// of them, only for the requests being served), and shuts down. Connections are accepted within budgets
// (limits.Listener), and the file-descriptor limit is raised first, so that clients can make the server wait but
// never make it stop.
// listening is closed once the address is bound (connections then wait in its backlog to be served).
func listenAndServe(ctx context.Context, cfg config.Config, app *fiber.App, done, listening chan struct{}, db *database.DB,
	posts int, m *observe.Metrics, log *slog.Logger) error {
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log)
	}
	fds, err := limits.RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("file-descriptor limit: %w", err)
	}
	budget := cfg.MaxConns
	if budget == 0 {
		budget = max(int(fds)-256, 16)
	}
	raw, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	close(listening)
	ln := limits.NewListener(raw, limits.ListenerConfig{MaxConns: budget, MaxPerClient: cfg.MaxPerClient,
		Trusted: cfg.Trusted, Log: log, Refused: func(reason string) { m.Refused("connection_" + reason) }})
	app.Server().ConnState = ln.ConnState
	headers.OnServerErrors(app.Server())
	log.Info("serving", "url", "http://"+displayAddr(raw.Addr()), "database", string(db.Dialect()), "posts", posts,
		"max_connections", budget, "file_limit", fds)
	serveErr := make(chan error, 1)
	go func() { serveErr <- app.Listener(ln) }()
	// Start-up (package initialisation: goldmark's extensions, the sanitiser's tables; migrations; loading
	// the content) leaves garbage behind, and goroutine stacks grown deep by SQLite's code: hand it back to the
	// system, beside the first requests rather than before them. Each collection halves a stack that uses less
	// than a quarter of itself, so four do what the runtime's collection every two minutes of idleness would
	// otherwise take minutes to (idle RSS 30.47 -> 30.01 MiB, `go run ./cmd/bench -idle 7`; a few ms of CPU).
	go func() {
		for range 3 {
			runtime.GC()
		}
		debug.FreeOSMemory()
	}()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	close(done)
	stopped := make(chan error, 1)
	go func() { stopped <- app.ShutdownWithTimeout(5 * time.Second) }()
	sendBy := time.Now().Add(shutdownSendGrace)
	for {
		ln.Drain(sendBy)
		select {
		case err := <-stopped:
			if err != nil {
				log.Warn("shutdown", "err", err)
			}
			log.Info("stopped")
			return nil
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// shutdownSendGrace is how long, at shutdown, a client part-way through sending a request has to send the rest.
const shutdownSendGrace = 500 * time.Millisecond

// displayAddr turns a listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("localhost:%d", tcp.Port)
		}
	}
	return a.String()
}

// serveMetrics serves /metrics on its own, private address (METRICS_ADDR).
func serveMetrics(addr string, m *observe.Metrics, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.HTTPHandler())
	log.Info("metrics", "url", "http://"+addr+"/metrics")
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("metrics server", "err", err)
	}
}
