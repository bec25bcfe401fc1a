package operator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"blog/database"
	"blog/database/backups"
	"blog/database/schema"
)

// Backup writes a consistent snapshot of the SQLite database to a new file, safe while the server runs.
func (op *Commands) Backup(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: web backup FILE")
	}
	db, err := database.OpenMode(ctx, op.Config.DatabaseURL, database.Existing)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.Backup(ctx, args[0]); err != nil {
		return err
	}
	snap, err := backups.InspectSnapshot(ctx, args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "backup written to %s (%d comments, %v)\n", args[0], snap.Comments, time.Since(start).Round(time.Millisecond))
	return nil
}

// Restore replaces the SQLite database with a snapshot made by backup. It refuses while the server (or any other
// command) has the database open, and refuses a snapshot that is not a sound database of this blog or whose
// schema is newer than this program. The current database is kept beside it first.
func (op *Commands) Restore(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: web restore FILE (stop the server first)")
	}
	snap, err := backups.InspectSnapshot(ctx, args[0])
	if err != nil {
		return err
	}
	known := map[int]bool{}
	for _, v := range schema.Known() {
		known[v.Version] = true
	}
	for _, v := range snap.Versions {
		if !known[v] {
			return fmt.Errorf("%s has schema version %d, which this program does not know (it knows up to %d): restore it with the release that wrote it", args[0], v, schema.Latest())
		}
	}
	kept, err := backups.Restore(ctx, op.Config.DatabaseURL, args[0])
	if errors.Is(err, database.ErrInUse) {
		return fmt.Errorf("%w: stop the server first, then restore", err)
	}
	if kept != "" {
		fmt.Fprintf(op.Stdout, "current database kept as %s\n", kept)
	}
	if err != nil {
		return err
	}
	loc, _ := database.ParseURL(op.Config.DatabaseURL)
	note := ""
	if !slices.Contains(snap.Versions, schema.Latest()) {
		note = " (an older schema: the server migrates it when it starts)"
	}
	fmt.Fprintf(op.Stdout, "restored %s from %s (%d comments)%s\n", loc.Path, args[0], snap.Comments, note)
	return nil
}

// Health asks the running server on this machine whether it is ready; the container's HEALTHCHECK runs it, so
// the image needs no curl.
func (op *Commands) Health(ctx context.Context) error {
	addr := op.Config.Addr
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
	fmt.Fprintln(op.Stdout, "ok")
	return nil
}
