package sqlite

import (
	"errors"

	"github.com/go-rel/rel"
	modernc "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

// ErrorMapper turns modernc's SQLite errors into rel constraint errors by result code, because go-rel/sqlite3
// only recognises the error texts of the cgo driver.
func ErrorMapper(err error) error {
	var se *modernc.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
		return rel.ConstraintError{Type: rel.UniqueConstraint, Err: err}
	case sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY:
		return rel.ConstraintError{Type: rel.ForeignKeyConstraint, Err: err}
	case sqlite3lib.SQLITE_CONSTRAINT_CHECK:
		return rel.ConstraintError{Type: rel.CheckConstraint, Err: err}
	case sqlite3lib.SQLITE_CONSTRAINT_NOTNULL:
		return rel.ConstraintError{Type: rel.NotNullConstraint, Err: err}
	}
	return err
}
