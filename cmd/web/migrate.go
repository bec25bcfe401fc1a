package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"blog/dbschema"
	"blog/repo"
)

// migrate runs `web migrate up|down|status`.
func migrate(ctx context.Context, args []string, cfg config, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: web migrate up|down|status")
	}
	db, err := repo.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "up":
		pending, err := dbschema.Pending(ctx, db)
		if err != nil {
			return err
		}
		if err := dbschema.Up(ctx, db); err != nil {
			return err
		}
		for _, v := range pending {
			fmt.Fprintf(stdout, "applied %d %s\n", v.Version, v.Name)
		}
		if len(pending) == 0 {
			fmt.Fprintln(stdout, "nothing to apply: the database is up to date")
		}
	case "down":
		before, err := dbschema.Status(ctx, db)
		if err != nil {
			return err
		}
		if err := dbschema.Down(ctx, db); err != nil {
			return err
		}
		after, err := dbschema.Status(ctx, db)
		if err != nil {
			return err
		}
		rolled := false
		for i := range before {
			if before[i].Applied && !after[i].Applied {
				fmt.Fprintf(stdout, "rolled back %d %s\n", before[i].Version, before[i].Name)
				rolled = true
			}
		}
		if !rolled {
			fmt.Fprintln(stdout, "nothing to roll back: no migration is applied")
		}
	case "status":
		st, err := dbschema.Status(ctx, db)
		if err != nil {
			return err
		}
		for _, v := range st {
			state := "pending"
			if v.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%-8s %d %s\n", state, v.Version, v.Name)
		}
	default:
		return fmt.Errorf("unknown migrate command %q: want up, down or status", args[0])
	}
	return nil
}
