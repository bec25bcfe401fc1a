package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// IssoComment is one comment of an Isso database, with its thread's address and title.
type IssoComment struct {
	ID, Parent int64
	URI, Title string
	// Created is seconds since 1970, as Isso stores it.
	Created float64
	// Mode is Isso's state: 1 published, 2 waiting for moderation, 4 deleted (kept for its replies).
	Mode                int
	Text, Author, Email string
}

// ReadIsso reads an Isso comment database (a SQLite file), read-only, and hands each comment to fn in id order
// (Isso gives ids in the order comments were posted, so a parent always comes first).
func ReadIsso(ctx context.Context, path string, fn func(IssoComment) error) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT c.id, COALESCE(c.parent, 0), COALESCE(t.uri, ''), COALESCE(t.title, ''),
		COALESCE(c.created, 0), COALESCE(c.mode, 1), COALESCE(c.text, ''), COALESCE(c.author, ''), COALESCE(c.email, '')
		FROM comments c LEFT JOIN threads t ON t.id = c.tid ORDER BY c.id`)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "not a database"), strings.Contains(msg, "file is encrypted"):
			return errors.New("not an Isso database: the file is not a SQLite database")
		case strings.Contains(msg, "no such table"), strings.Contains(msg, "no such column"):
			return fmt.Errorf("not an Isso database: %s", msg)
		}
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c IssoComment
		if err := rows.Scan(&c.ID, &c.Parent, &c.URI, &c.Title, &c.Created, &c.Mode, &c.Text, &c.Author, &c.Email); err != nil {
			return fmt.Errorf("comment: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}
