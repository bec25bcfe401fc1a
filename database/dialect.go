package database

import (
	"context"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-rel/rel"

	"blog/database/fulltext"
)

// What the two databases do differently, decided once here.

// Lock takes a lock held until the transaction ends, so that transactions about the same thing (a lock space
// and a key in it) take turns across processes and instances: a PostgreSQL advisory lock. SQLite's writers take
// turns anyway (BEGIN IMMEDIATE, and this process's writers queue in Write), so there it does nothing.
func (d *DB) Lock(ctx context.Context, space int32, key string) error {
	if d.dialect != Postgres {
		return nil
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	_, _, err := d.repo.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", space, int32(h.Sum32()))
	return err
}

// ForUpdate makes q lock the rows it reads until the transaction ends (PostgreSQL; SQLite's writers take turns).
func (d *DB) ForUpdate(q rel.Query) rel.Query {
	if d.dialect != Postgres {
		return q
	}
	return q.Lock(string(rel.ForUpdate()))
}

// ForUpdateSkipLocked is ForUpdate that passes over rows another transaction holds (work several workers share).
func (d *DB) ForUpdateSkipLocked(q rel.Query) rel.Query {
	if d.dialect != Postgres {
		return q
	}
	return q.Lock("FOR UPDATE SKIP LOCKED")
}

// Placeholders writes a statement's "?" placeholders as the dialect wants them.
func (d *DB) Placeholders(q string) string {
	if d.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SequencePastMax moves the sequence that numbers a table's ids past the largest id it holds, after rows were
// written with ids of their own (PostgreSQL's serial columns do not move then; SQLite's do).
func (d *DB) SequencePastMax(ctx context.Context, table string) error {
	if d.dialect != Postgres {
		return nil
	}
	_, _, err := d.repo.Exec(ctx, "SELECT setval(pg_get_serial_sequence('"+table+"', 'id'), (SELECT MAX(id) FROM "+table+"))")
	return err
}

// TextSearch builds the statements that search for q in this database's index (package fulltext writes them for
// each dialect).
func (d *DB) TextSearch(q fulltext.TextQuery) fulltext.TextSearch {
	if d.dialect == Postgres {
		return fulltext.Postgres(q)
	}
	return fulltext.SQLite(q)
}

// View runs fn over one consistent, read-only view of the whole database while writers carry on: on PostgreSQL a
// repeatable-read transaction, on SQLite a snapshot written beside the file (Backup) and removed afterwards.
func (d *DB) View(ctx context.Context, fn func(ctx context.Context, view *DB) error) error {
	if d.dialect == Postgres {
		return d.repo.Transaction(ctx, func(ctx context.Context) error {
			if _, _, err := d.repo.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"); err != nil {
				return err
			}
			return fn(ctx, d)
		})
	}
	dir, err := os.MkdirTemp(filepath.Dir(d.path), ".export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	snap := filepath.Join(dir, "snapshot.db")
	if err := d.Backup(ctx, snap); err != nil {
		return err
	}
	view, err := OpenMode(ctx, snap, Existing)
	if err != nil {
		return err
	}
	defer view.Close()
	return fn(ctx, view)
}
