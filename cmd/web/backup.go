package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"blog/repo"
)

// backup writes a consistent snapshot of the SQLite database to path while the server may be running, using
// VACUUM INTO (a read transaction: writers carry on, and the snapshot holds every commit made before it began).
func backup(ctx context.Context, args []string, cfg config, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: web backup FILE")
	}
	path := args[0]
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists; choose a new file name", path)
	}
	db, err := repo.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if db.Dialect != repo.SQLite {
		return errors.New("web backup is for SQLite; for PostgreSQL use pg_dump")
	}
	start := time.Now()
	if _, err := db.SQL.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	n, err := checkSnapshot(ctx, path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s (%d comments, %v)\n", path, n, time.Since(start).Round(time.Millisecond))
	return nil
}

// checkSnapshot opens a database file, runs SQLite's integrity check and counts its comments.
func checkSnapshot(ctx context.Context, path string) (int, error) {
	snap, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer snap.Close()
	var check string
	if err := snap.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		return 0, fmt.Errorf("%s is not a sound database (integrity check: %q, %v)", path, check, err)
	}
	var n int
	if err := snap.QueryRowContext(ctx, "SELECT count(*) FROM comments").Scan(&n); err != nil {
		return 0, fmt.Errorf("%s has no comments table: %w", path, err)
	}
	return n, nil
}

// restore replaces the SQLite database with a snapshot made by backup. The server must be stopped. The current
// database is kept beside it first, so a restore can itself be undone.
func restore(ctx context.Context, args []string, cfg config, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: web restore FILE (stop the server first)")
	}
	src := args[0]
	n, err := checkSnapshot(ctx, src)
	if err != nil {
		return err
	}
	if strings.HasPrefix(cfg.DatabaseURL, "postgres") {
		return errors.New("web restore is for SQLite; for PostgreSQL use pg_restore")
	}
	target := sqlitePath(cfg.DatabaseURL)
	if _, err := os.Stat(target); err == nil {
		kept := fmt.Sprintf("%s.before-restore-%s", target, time.Now().UTC().Format("20060102T150405Z"))
		// A snapshot of the current state, consistent even if a stray writer is still around.
		db, err := repo.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		_, err = db.SQL.ExecContext(ctx, "VACUUM INTO ?", kept)
		db.Close()
		if err != nil {
			return fmt.Errorf("keep the current database: %w", err)
		}
		fmt.Fprintf(stdout, "current database kept as %s\n", kept)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	tmp := target + ".restoring"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(target + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s (%d comments)\n", target, src, n)
	return nil
}

// sqlitePath is the file a SQLite DATABASE_URL names.
func sqlitePath(u string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" {
		p = repo.DefaultSQLiteFile
	}
	return p
}

// health asks the running server on this machine whether it is ready; the container's HEALTHCHECK runs it, so
// the image needs no curl.
func health(ctx context.Context, cfg config, stdout io.Writer) error {
	addr := cfg.Addr
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("not healthy: /readyz answered %d", resp.StatusCode)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
