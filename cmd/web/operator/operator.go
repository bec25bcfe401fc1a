// Package operator holds the commands of `web` besides serving, for whoever runs the blog, and what they all
// share (Commands, the database opened as it is, the command line's flags). Here are the schema (migrate),
// backups and restores, the health check, the owner's password and reset, and the subscribers; the commands on
// comments (with bans, reactions, people, imports and exports), on the content and on the fediverse are in the
// packages below, each a Commands that holds this one. They act on the database directly through the same code
// as the server and the owner's console, so their changes reach open pages through the change feed while a
// server runs; each prints what it did and returns an error for the program to show.
package operator

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"blog/cmd/web/config"
	"blog/database"
	"blog/database/schema"
	"blog/desk"
	"blog/moderation"
)

// Commands runs the operator's commands. The program builds it with its configuration and with the constructors
// the commands share with the server, so that a command acts exactly as the server and the console would.
type Commands struct {
	// Config is the program's configuration, read from the environment.
	Config config.Config
	// Moderation returns the moderation service on db, built as the server builds it (the same keys, mode and
	// rules): a ban or an action from the command line applies exactly as one from the console.
	Moderation func(ctx context.Context, db *database.DB) (*moderation.Service, error)
	// LoadContent reads the posts and gives every post its row, as the server does when it starts.
	LoadContent func(ctx context.Context, db *database.DB) error
	// Desk returns the owner's writing desk on db, with the content loaded as the server loads it (so the desk
	// refuses the slugs of the folder's files).
	Desk func(ctx context.Context, db *database.DB) (*desk.Service, error)
	// Stdin is where `web owner password` reads the new password.
	Stdin io.Reader
	// Stdout is where every command says what it did.
	Stdout io.Writer
}

// OpenCurrent opens an existing database whose schema is this binary's: commands other than serving and
// `migrate up` never create or migrate a database.
func (op *Commands) OpenCurrent(ctx context.Context) (*database.DB, error) {
	db, err := database.OpenMode(ctx, op.Config.DatabaseURL, database.Existing)
	if err != nil {
		return nil, err
	}
	pending, err := schema.Pending(ctx, db)
	if err == nil && len(pending) > 0 {
		err = fmt.Errorf("%d migration(s) pending: run `web migrate up` (or start the server) first", len(pending))
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// ParseArgs splits arguments into positional ones and --flags (anywhere on the line). Flags in valued take a
// value (--limit 20 or --limit=20); the others are switches.
func ParseArgs(args []string, valued, switches []string) (map[string]string, []string, error) {
	flags := map[string]string{}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		switch {
		case contains(valued, name):
			if !hasVal {
				if i+1 >= len(args) {
					return nil, nil, fmt.Errorf("--%s needs a value", name)
				}
				i++
				val = args[i]
			}
			flags[name] = val
		case contains(switches, name) && !hasVal:
			flags[name] = "true"
		default:
			return nil, nil, fmt.Errorf("unknown option --%s", name)
		}
	}
	return flags, pos, nil
}

// Clip shortens s to n characters, marking the cut.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
