package fediverse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"blog/activitypub"
	"blog/activitypub/following"
	"blog/fetch"
	"blog/repo"
	"blog/repo/federation"
)

// Following runs `web following` (or `web following list`): the accounts the blog follows on the fediverse and their newest posts;
// `web following add HANDLE|URL` follows one, `web following remove ID|HANDLE|URL` unfollows one. The console's
// Following page does the same through the same code. The command sends what it queued at once; what their
// server does not take then, a running server tries again.
func (op *Commands) Following(ctx context.Context, args []string) error {
	const usage = "usage: web following [list] | web following add @name@server|URL | web following remove ID|@name@server|URL"
	if len(args) == 1 && args[0] == "list" {
		args = nil
	}
	if len(args) != 0 && (len(args) != 2 || (args[0] != "add" && args[0] != "remove")) {
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
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := fetch.New(fetch.Config{AllowPrivate: op.Config.ActivityPubPrivate, MaxBytes: 256 << 10, Timeout: 20 * time.Second,
		UserAgent: op.Config.SiteTitle + " (ActivityPub; " + op.Config.PublicBase() + ")"})
	st := federation.New(db)
	follows := following.New(following.Config{Store: st, Fetch: f, PlainHTTP: op.Config.ActivityPubPrivate, Log: log})
	svc, err := activitypub.New(ctx, activitypub.Config{Store: st, Moderation: mod, Bans: mod.BanStore, Fetch: f,
		BaseURL: op.Config.PublicBase(), Username: op.Config.ActivityPubUsername, Log: log, Following: follows})
	if err != nil {
		return err
	}
	follows.SetRemote(svc)
	switch {
	case len(args) == 0:
		fs, total, err := follows.Following(ctx, federation.TimelineTotal, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(op.Stdout, "%s follows %d account(s)\n", svc.Handle(), total)
		for _, f := range fs {
			fmt.Fprintf(op.Stdout, "%d\t%s\t%s\t%s\n", f.ID, nameOf(f), f.State, f.ActorURI)
		}
		posts, err := follows.Timeline(ctx, 20)
		if err != nil {
			return err
		}
		if len(posts) > 0 {
			fmt.Fprintf(op.Stdout, "\nnewest posts:\n")
		}
		for _, p := range posts {
			title := p.Title
			if title == "" {
				title = p.Summary
			}
			fmt.Fprintf(op.Stdout, "%s\t%s\t%.80s\n", p.Published.Format("2006-01-02 15:04"), p.URL, title)
		}
		return nil
	case args[0] == "add":
		f, err := follows.Follow(ctx, args[1])
		var bad following.BadTarget
		if errors.As(err, &bad) {
			return errors.New(bad.Msg)
		}
		if err != nil {
			return err
		}
		svc.Round(ctx)
		fmt.Fprintf(op.Stdout, "following %s (%s): Follow sent, waiting for their server to accept\n", nameOf(f), f.ActorURI)
	default:
		f, err := follows.Find(ctx, args[1])
		if errors.Is(err, repo.ErrNotFound) {
			return fmt.Errorf("the blog does not follow %s (see web following)", args[1])
		}
		if err != nil {
			return err
		}
		if f, err = follows.Unfollow(ctx, f.ID); err != nil {
			return err
		}
		svc.Round(ctx)
		fmt.Fprintf(op.Stdout, "unfollowed %s (their server is told)\n", nameOf(f))
	}
	return nil
}

func nameOf(f federation.Followee) string {
	if f.Handle != "" {
		return f.Handle
	}
	return f.ActorURI
}
