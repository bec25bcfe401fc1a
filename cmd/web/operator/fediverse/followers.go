package fediverse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"blog/activitypub"
	"blog/fetch"
	"blog/repo"
	"blog/repo/federation"
)

// Followers runs `web followers`: the blog's followers on the fediverse; `web followers remove ID` removes one
// (their server is told); `web followers block DOMAIN` blocks a server (its followers removed, its domain
// banned). The console's Followers page does the same through the same code. A running server delivers what
// these queue.
func (op *Commands) Followers(ctx context.Context, args []string) error {
	const usage = "usage: web followers | web followers remove ID | web followers block DOMAIN"
	if len(args) != 0 && (len(args) != 2 || (args[0] != "remove" && args[0] != "block")) {
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
	svc, err := activitypub.New(ctx, activitypub.Config{Store: federation.New(db), Moderation: mod, Bans: mod.BanStore,
		Fetch: fetch.New(fetch.Config{}), BaseURL: op.Config.PublicBase(), Username: op.Config.ActivityPubUsername,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	switch {
	case len(args) == 0:
		const page = 1000
		for offset := 0; ; offset += page {
			fs, total, err := svc.FollowerList(ctx, page, offset)
			if err != nil {
				return err
			}
			if offset == 0 {
				fmt.Fprintf(op.Stdout, "%d follower(s) of %s\n", total, svc.Handle())
			}
			for _, f := range fs {
				name := f.Handle
				if name == "" {
					name = f.ActorURI
				}
				fmt.Fprintf(op.Stdout, "%d\t%s\t%s\tsince %s\n", f.ID, name, f.Domain, f.CreatedAt.UTC().Format("2006-01-02"))
			}
			if len(fs) < page {
				return nil
			}
		}
	case args[0] == "remove":
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("%q is not a follower's number (see web followers)", args[1])
		}
		f, err := svc.RemoveFollower(ctx, id)
		if errors.Is(err, repo.ErrNotFound) {
			return fmt.Errorf("there is no follower %d", id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(op.Stdout, "removed %s (their server is told)\n", f.Handle)
	default:
		n, _, err := svc.Block(ctx, args[1])
		if errors.Is(err, activitypub.ErrBadDomain) {
			return err
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(op.Stdout, "blocked %s: %d follower(s) removed, its domain banned\n", args[1], n)
	}
	return nil
}
