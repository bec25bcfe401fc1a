// Command web runs the blog: `web` serves it, `web migrate up|down|status` manages the schema.
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
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"blog/content"
	"blog/dbschema"
	"blog/handlers"
	"blog/live"
	"blog/observe"
	"blog/repo"

	"blog/assets"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "web:", err)
		os.Exit(1)
	}
}

// run is the whole program: it parses the command, reads the environment and runs until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	case "serve":
		return serve(ctx, cfg, stderr)
	case "migrate":
		return migrate(ctx, args, cfg, stdout)
	case "backup":
		return backup(ctx, args, cfg, stdout)
	case "restore":
		return restore(ctx, args, cfg, stdout)
	case "health":
		return health(ctx, cfg, stdout)
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
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

// serve opens the database, migrates it, loads the content and serves until ctx ends, then shuts down
// gracefully: open event streams are closed first so that Fiber's Shutdown does not wait on them.
func serve(ctx context.Context, cfg config, logw io.Writer) error {
	log := newLogger(cfg, logw)
	db, err := repo.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.AutoMigrate {
		if err := dbschema.Up(ctx, db); err != nil {
			return err
		}
	} else if pending, err := dbschema.Pending(ctx, db); err != nil {
		return err
	} else if len(pending) > 0 {
		return fmt.Errorf("%d migration(s) pending and AUTO_MIGRATE=false: run `web migrate up` first", len(pending))
	}

	var contentFS fs.FS = content.Embedded()
	if cfg.ContentDir != "" {
		if st, err := os.Stat(cfg.ContentDir); err != nil || !st.IsDir() {
			return fmt.Errorf("CONTENT_DIR=%s is not a folder", cfg.ContentDir)
		}
		contentFS = os.DirFS(cfg.ContentDir)
	}
	lib, err := content.Load(contentFS)
	if err != nil {
		return fmt.Errorf("load content: %w", err)
	}
	refs := make([]repo.PostRef, len(lib.Posts))
	for i, p := range lib.Posts {
		refs[i] = repo.PostRef{Slug: p.Slug, Title: p.Title}
	}
	postIDs, err := repo.NewPosts(db).SyncPosts(ctx, refs)
	if err != nil {
		return err
	}

	comments := repo.NewComments(db)
	broker, err := newBroker(ctx, db, comments, log)
	if err != nil {
		return err
	}
	brokerCtx, stopBroker := context.WithCancel(context.WithoutCancel(ctx))
	brokerDone := make(chan struct{})
	go func() {
		defer close(brokerDone)
		if err := broker.Run(brokerCtx); err != nil {
			log.Error("live updates stopped", "err", err)
		}
	}()
	defer func() { stopBroker(); <-brokerDone }()

	key := cfg.SecretKey
	if key == "" {
		if key, err = repo.NewSecrets(db).Secret(ctx, "csrf"); err != nil {
			return err
		}
	}

	var metrics *observe.Metrics
	if cfg.Metrics {
		metrics = observe.NewMetrics(broker.Streams)
	}
	done := make(chan struct{})
	app, err := handlers.New(handlers.Config{
		Library: lib, PostIDs: postIDs, Comments: comments, Broker: broker, Assets: assets.FS(), Log: log,
		SiteTitle: cfg.SiteTitle, BaseURL: cfg.BaseURL, Done: done, BenchControl: cfg.Bench,
		CSRFKey: []byte(key), SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"),
		TrustedProxies: cfg.Trusted, RateLimit: cfg.RateLimit,
		Metrics: metrics, MetricsToken: cfg.MetricsToken, SharedDatabase: db.Dialect == repo.Postgres,
		Ready: func(ctx context.Context) error {
			if err := db.Ping(ctx); err != nil {
				return err
			}
			pending, err := dbschema.Pending(ctx, db)
			if err == nil && len(pending) > 0 {
				err = errors.New("migrations pending")
			}
			return err
		},
	})
	if err != nil {
		return err
	}
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("serving", "url", "http://"+displayAddr(ln.Addr()), "database", string(db.Dialect), "posts", len(lib.Posts))

	serveErr := make(chan error, 1)
	go func() { serveErr <- app.Listener(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	close(done) // ends every event stream, so the shutdown below does not wait on them
	if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
		log.Warn("shutdown", "err", err)
	}
	log.Info("stopped")
	return nil
}

// newBroker picks the live-update broker for the database: PostgreSQL shares updates between instances.
func newBroker(ctx context.Context, db *repo.DB, comments *repo.Comments, log *slog.Logger) (live.Broker, error) {
	fetch := handlers.LiveFetch(comments)
	if db.Dialect == repo.Postgres {
		return live.NewPostgres(ctx, db.URL, repo.CommentsChannel, fetch, comments.LatestCommentID, log)
	}
	return live.NewLocal(ctx, fetch, comments.LatestCommentID, log)
}

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

// servePprof serves Go's profiling endpoints on their own address, never on the public one.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("pprof", "url", "http://"+addr+"/debug/pprof/")
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("pprof server", "err", err)
	}
}
