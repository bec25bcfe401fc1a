// Package backups holds what is done with copies of the database: checking that a snapshot written by
// database.DB.Backup is a sound database of this blog, restoring one in place of the SQLite database, and the CSV
// copy of the tables a rollback is about to drop. The operator's commands use it.
package backups

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"blog/database"
)

// Snapshot describes a SQLite database file made by database.DB.Backup.
type Snapshot struct {
	Comments int
	// Versions are the schema versions applied in it.
	Versions []int
}

// InspectSnapshot opens a database file read-only and checks that it is a sound database of this blog: SQLite's
// integrity check passes and it has a schema history and a comments table.
func InspectSnapshot(ctx context.Context, path string) (Snapshot, error) {
	if _, err := os.Stat(path); err != nil {
		return Snapshot{}, err
	}
	snap, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return Snapshot{}, err
	}
	defer snap.Close()
	var check string
	if err := snap.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		return Snapshot{}, fmt.Errorf("%s is not a sound database (integrity check: %q, %v)", path, check, err)
	}
	var s Snapshot
	rows, err := snap.QueryContext(ctx, "SELECT version FROM rel_schema_versions ORDER BY version")
	if err != nil {
		return Snapshot{}, fmt.Errorf("%s is not a database of this blog (no schema history)", path)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return Snapshot{}, err
		}
		s.Versions = append(s.Versions, v)
	}
	if err := snap.QueryRowContext(ctx, "SELECT count(*) FROM comments").Scan(&s.Comments); err != nil || len(s.Versions) == 0 {
		return Snapshot{}, fmt.Errorf("%s is not a database of this blog (no comments table or no schema history)", path)
	}
	return s, nil
}

// Restore replaces the SQLite database named by rawURL with the snapshot file, refusing while any process of the
// blog has the database open (database.ErrInUse). The current database is first kept beside it (returned as kept), so a
// restore can itself be undone.
func Restore(ctx context.Context, rawURL, snapshot string) (kept string, err error) {
	loc, err := database.ParseURL(rawURL)
	if err != nil {
		return "", err
	}
	if loc.Dialect != database.SQLite {
		return "", errors.New("restore is for SQLite; for PostgreSQL use pg_restore")
	}
	target := loc.Path
	if _, err := os.Stat(target); err == nil {
		db, err := database.OpenMode(ctx, rawURL, database.Exclusive)
		if err != nil {
			return "", err
		}
		defer db.Close() // holds the exclusive lock until the new file is in place
		kept = fmt.Sprintf("%s.before-restore-%s", target, time.Now().UTC().Format("20060102T150405Z"))
		if err := db.Backup(ctx, kept); err != nil {
			return "", fmt.Errorf("keep the current database: %w", err)
		}
	}
	tmp := target + ".restoring"
	if err := copyFile(snapshot, tmp); err != nil {
		os.Remove(tmp)
		return kept, err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(target + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return kept, err
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return kept, err
	}
	if dir, err := os.Open(filepath.Dir(target)); err == nil {
		dir.Sync()
		dir.Close()
	}
	return kept, nil
}

// copyFile copies src to a new file dst and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ExportTables writes each table's rows as CSV (with a header line of column names) into dir, one file per
// table: a copy of data about to be dropped, on any database.
func ExportTables(ctx context.Context, db *database.DB, dir string, tables []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, t := range tables {
		if err := exportTable(ctx, db, filepath.Join(dir, t+".csv"), t); err != nil {
			return fmt.Errorf("export %s: %w", t, err)
		}
	}
	return nil
}

func exportTable(ctx context.Context, db *database.DB, path, table string) error {
	// table names come from the schema history, never from input
	rows, err := db.SQL().QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Write(cols)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rec := make([]string, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				rec[i] = ""
			case []byte:
				rec[i] = string(x)
			case time.Time:
				rec[i] = x.UTC().Format(time.RFC3339Nano)
			default:
				rec[i] = fmt.Sprint(x)
			}
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return f.Sync()
}
