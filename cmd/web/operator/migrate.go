package operator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"blog/database"
	"blog/database/backups"
	"blog/database/schema"
)

// Migrate runs `web migrate up|down [--force]|status`.
func (op *Commands) Migrate(ctx context.Context, args []string) error {
	const usage = "usage: web migrate up | web migrate down [--force] | web migrate status"
	if len(args) == 0 {
		return errors.New(usage)
	}
	flags, pos, err := ParseArgs(args[1:], nil, []string{"force"})
	if err != nil || len(pos) > 0 || (args[0] != "down" && len(flags) > 0) {
		return errors.New(usage)
	}
	switch args[0] {
	case "up":
		return op.migrateUp(ctx)
	case "down":
		return op.migrateDown(ctx, flags["force"] != "")
	case "status":
		db, err := database.OpenMode(ctx, op.Config.DatabaseURL, database.Existing)
		if err != nil {
			return err
		}
		defer db.Close()
		st, err := schema.Status(ctx, db)
		if err != nil {
			return err
		}
		for _, v := range st {
			state := "pending"
			if v.Applied {
				state = "applied"
			}
			fmt.Fprintf(op.Stdout, "%-8s %d %s\n", state, v.Version, v.Name)
		}
		return nil
	}
	return fmt.Errorf("unknown migrate command %q\n%s", args[0], usage)
}

// migrateUp applies every pending migration; it is the one command besides serving that may create a database.
func (op *Commands) migrateUp(ctx context.Context) error {
	db, err := database.Open(ctx, op.Config.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	pending, err := schema.Pending(ctx, db)
	if err != nil {
		return err
	}
	if err := schema.Up(ctx, db); err != nil {
		return err
	}
	for _, v := range pending {
		fmt.Fprintf(op.Stdout, "applied %d %s\n", v.Version, v.Name)
	}
	if len(pending) == 0 {
		fmt.Fprintln(op.Stdout, "nothing to apply: the database is up to date")
	}
	return nil
}

// migrateDown rolls back the newest migration. It needs the database to itself (no server running), says what
// the rollback destroys, refuses to destroy data without --force, and with --force writes a backup first.
func (op *Commands) migrateDown(ctx context.Context, force bool) error {
	db, err := database.OpenMode(ctx, op.Config.DatabaseURL, database.Exclusive)
	if errors.Is(err, database.ErrInUse) {
		return fmt.Errorf("%w: stop the server before rolling the schema back", err)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	v, losses, any, err := schema.DownPlan(ctx, db)
	if err != nil {
		return err
	}
	if !any {
		fmt.Fprintln(op.Stdout, "nothing to roll back: no migration is applied")
		return nil
	}
	var lost []string
	var tables []string
	for _, l := range losses {
		if l.Rows > 0 {
			lost = append(lost, fmt.Sprintf("  %s: %d row(s)", l.What, l.Rows))
			tables = append(tables, l.Table)
		}
	}
	fmt.Fprintf(op.Stdout, "rolling back %d %s\n", v.Version, v.Name)
	if len(lost) > 0 {
		fmt.Fprintf(op.Stdout, "this destroys:\n%s\n", strings.Join(lost, "\n"))
		if !force {
			return errors.New("refusing to destroy data: run `web migrate down --force` to do it (a backup is written first)")
		}
		where, err := backupBeforeDown(ctx, db, v, tables)
		if err != nil {
			return fmt.Errorf("backup before rolling back (nothing was rolled back): %w", err)
		}
		fmt.Fprintf(op.Stdout, "backup written to %s\n", where)
	}
	if err := schema.Down(ctx, db); err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "rolled back %d %s\n", v.Version, v.Name)
	return nil
}

// backupBeforeDown keeps what a rollback destroys: the whole SQLite database as a snapshot beside it, or, on
// PostgreSQL, the affected tables as CSV files in a new folder.
func backupBeforeDown(ctx context.Context, db *database.DB, v schema.Version, tables []string) (string, error) {
	stamp := fmt.Sprintf("before-down-%d-%s", v.Version, time.Now().UTC().Format("20060102T150405Z"))
	if db.Dialect() == database.SQLite {
		path := db.Path() + "." + stamp
		return path, db.Backup(ctx, path)
	}
	dir := stamp
	return dir, backups.ExportTables(ctx, db, dir, tables)
}
