package comments

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"blog/cmd/web/operator"
	"blog/moderation"
	"blog/repo"
)

// Ban runs `web ban add|list|remove`.
func (op *Commands) Ban(ctx context.Context, args []string) error {
	const usage = "usage: web ban add email|domain|ip VALUE [--remove-past] | web ban list | web ban remove ID"
	if len(args) == 0 {
		return errors.New(usage)
	}
	sub, args := args[0], args[1:]
	flags, pos, err := operator.ParseArgs(args, nil, []string{"remove-past"})
	if err != nil {
		return fmt.Errorf("%w\n%s", err, usage)
	}
	switch {
	case sub == "add" && len(pos) == 2:
	case sub == "list" && len(pos) == 0 && len(flags) == 0:
	case sub == "remove" && len(pos) >= 1 && len(flags) == 0:
	default:
		return errors.New(usage)
	}
	db, err := op.OpenCurrent(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	mod, err := op.Moderation(ctx, db)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		b, swept, err := mod.Ban(ctx, repo.ActorCLI, moderation.BanRequest{Kind: pos[0], Value: pos[1], RemovePast: flags["remove-past"] != ""})
		var bad moderation.ErrBadBan
		switch {
		case errors.As(err, &bad):
			return errors.New(bad.Msg)
		case errors.Is(err, repo.ErrExists):
			return fmt.Errorf("%s %s is banned already", pos[0], pos[1])
		case err != nil:
			return err
		}
		fmt.Fprintf(op.Stdout, "banned %s %s (ban %d)\n", b.Kind, b.Label, b.ID)
		if len(swept) > 0 {
			fmt.Fprintf(op.Stdout, "%d earlier comment(s) marked as spam\n", len(swept))
		}
	case "list":
		bans, err := mod.Bans(ctx)
		if err != nil {
			return err
		}
		for _, b := range bans {
			fmt.Fprintf(op.Stdout, "%-5d %-7s %-40s since %s\n", b.ID, b.Kind, b.Label, b.CreatedAt.UTC().Format("2006-01-02 15:04"))
		}
		if len(bans) == 0 {
			fmt.Fprintln(op.Stdout, "no bans")
		}
	case "remove":
		for _, p := range pos {
			id, err := strconv.ParseInt(p, 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("%q is not a ban id (see web ban list)", p)
			}
			b, err := mod.Unban(ctx, repo.ActorCLI, id)
			if errors.Is(err, repo.ErrNotFound) {
				return fmt.Errorf("there is no ban %d (see web ban list)", id)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(op.Stdout, "removed the ban on %s %s\n", b.Kind, b.Label)
		}
	}
	return nil
}
