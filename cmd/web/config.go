package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// setting is one environment variable the program reads.
type setting struct {
	name, def, help string
}

// settings lists every variable, for `web --help` and the README.
var settings = []setting{
	{"DATABASE_URL", "", "Database to use. Unset: the SQLite file app.db in the working directory. " +
		"sqlite:PATH for another SQLite file, postgres://user@host:5432/db for PostgreSQL."},
	{"PORT", "8080", "Port to listen on (all interfaces)."},
	{"ADDR", "", "Full listen address (host:port); overrides PORT. Example: 127.0.0.1:8080."},
	{"CONTENT_DIR", "", "Folder with posts/*.md and pages/*.md. Unset: the sample content built into the binary."},
	{"AUTO_MIGRATE", "true", "Apply pending migrations at start. false: refuse to start while migrations are pending."},
	{"SITE_TITLE", "Field Notes", "The blog's name, shown in the header and titles."},
	{"BASE_URL", "", "Public URL of the blog (https://blog.example.com), for canonical and Open Graph links."},
	{"LOG_FORMAT", "text", "text (readable) or json (one JSON object per line)."},
	{"LOG_LEVEL", "info", "debug, info, warn or error."},
	{"BENCH_CONTROL", "false", "true adds /bench/control/*, the benchmark's control route (make bench sets it; leave it off)."},
}

// config is the parsed environment.
type config struct {
	DatabaseURL string
	Addr        string
	ContentDir  string
	AutoMigrate bool
	SiteTitle   string
	BaseURL     string
	LogFormat   string
	LogLevel    string
	Bench       bool
}

func loadConfig(getenv func(string) string) (config, error) {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, s := range settings {
			if s.name == name {
				return s.def
			}
		}
		return ""
	}
	cfg := config{
		DatabaseURL: get("DATABASE_URL"),
		ContentDir:  get("CONTENT_DIR"),
		SiteTitle:   get("SITE_TITLE"),
		BaseURL:     strings.TrimRight(get("BASE_URL"), "/"),
		LogFormat:   get("LOG_FORMAT"),
		LogLevel:    get("LOG_LEVEL"),
	}
	port := get("PORT")
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return cfg, fmt.Errorf("PORT=%q is not a port number", port)
	}
	cfg.Addr = ":" + port
	if a := get("ADDR"); a != "" {
		cfg.Addr = a
	}
	auto, err := strconv.ParseBool(get("AUTO_MIGRATE"))
	if err != nil {
		return cfg, fmt.Errorf("AUTO_MIGRATE=%q: want true or false", getenv("AUTO_MIGRATE"))
	}
	cfg.AutoMigrate = auto
	if cfg.Bench, err = strconv.ParseBool(get("BENCH_CONTROL")); err != nil {
		return cfg, fmt.Errorf("BENCH_CONTROL=%q: want true or false", getenv("BENCH_CONTROL"))
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return cfg, fmt.Errorf("LOG_FORMAT=%q: want text or json", cfg.LogFormat)
	}
	return cfg, nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `web: a blog with live comments.

Usage:
  web [serve]              run the blog (applies pending migrations first unless AUTO_MIGRATE=false)
  web migrate up           apply every pending migration
  web migrate down         roll back the newest applied migration (one step)
  web migrate status       list migrations and whether each is applied
  web --help               show this help

Environment:
`)
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "(unset)"
		}
		fmt.Fprintf(w, "  %-13s default %s\n      %s\n", s.name, def, s.help)
	}
}
