package database

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// ErrDatabaseGone means the SQLite file was deleted or replaced while the server had it open: writing on would
// write into a file nobody will read again, so nothing is acknowledged until the server is restarted.
var ErrDatabaseGone = errors.New("the database file was deleted or replaced while in use; restart the server")

// lockFile holds a lock on the database file for as long as this process uses it: shared for serving and for
// commands that work beside a server, exclusive (and refused at once while anyone holds it) for those that must
// have the database to themselves. The lock is flock(2), which SQLite itself does not use, so the two never
// interfere. It also records the file's identity for CheckFile.
func lockFile(path string, exclusive bool) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("lock %s: %w", path, err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil, fmt.Errorf("%s: %w", path, ErrInUse)
		}
		return nil, nil, fmt.Errorf("lock %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// CheckFile returns ErrDatabaseGone when the SQLite file at the database's path is no longer the one opened.
func (d *DB) CheckFile() error {
	if d.dialect != SQLite || d.file == nil {
		return nil
	}
	st, err := os.Stat(d.path)
	if err != nil || !os.SameFile(st, d.file) {
		return ErrDatabaseGone
	}
	return nil
}

// Backup writes a consistent snapshot of a SQLite database to a new file at path while it may be in use (VACUUM
// INTO is one read transaction: writers carry on, and the snapshot holds every commit made before it began). The
// file is readable and writable by its owner only, as the database is: it holds the same secrets.
func (d *DB) Backup(ctx context.Context, path string) error {
	if d.dialect != SQLite {
		return errors.New("backups are for SQLite; for PostgreSQL use pg_dump")
	}
	// VACUUM INTO would create the file 0644 less the umask; it writes into an empty file as well.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; choose a new file name", path)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	if _, err := d.pool.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		os.Remove(path)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
