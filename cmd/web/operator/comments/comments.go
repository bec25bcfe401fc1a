package comments

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"blog/cmd/web/operator"
	"blog/repo"
	"blog/repo/discussion"
	"blog/repo/posts"
)

// Comments runs `web comments list|approve|spam|delete|restore|purge`.
func (op *Commands) Comments(ctx context.Context, args []string) error {
	const usage = "usage: web comments list [--state S] [--post SLUG] [--limit N] | web comments approve|spam|delete|restore|pin|unpin ID..."
	if len(args) == 0 {
		return errors.New(usage)
	}
	sub, args := args[0], args[1:]
	flags, pos, err := operator.ParseArgs(args, []string{"state", "post", "limit"}, nil)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, usage)
	}
	switch sub {
	case "list":
		return op.listComments(ctx, flags, pos)
	case "approve", "spam", "delete", "restore", "pin", "unpin":
		return op.actOnComments(ctx, sub, flags, pos)
	}
	return fmt.Errorf("unknown command %q\n%s", sub, usage)
}

func (op *Commands) listComments(ctx context.Context, flags map[string]string, pos []string) error {
	if len(pos) > 0 {
		return fmt.Errorf("web comments list takes no arguments, only --state, --post and --limit")
	}
	q := repo.Search{State: flags["state"], Limit: 50}
	if q.State != "" && !repo.ValidState(q.State) {
		return fmt.Errorf("--state %q: want one of %s", q.State, strings.Join(repo.States, ", "))
	}
	if l, ok := flags["limit"]; ok {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100000 {
			return fmt.Errorf("--limit %q: want a number from 1 to 100000", l)
		}
		q.Limit = n
	}
	db, err := op.OpenCurrent(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if slug := flags["post"]; slug != "" {
		p, err := posts.NewPosts(db).FindPostBySlug(ctx, slug)
		if errors.Is(err, repo.ErrNotFound) {
			return fmt.Errorf("--post %q: there is no such post", slug)
		} else if err != nil {
			return err
		}
		q.PostID = p.ID
	}
	found, err := discussion.NewComments(db).SearchComments(ctx, q)
	if err != nil {
		return err
	}
	for _, c := range found {
		fmt.Fprintf(op.Stdout, "%-7d %-9s %-24s %-20s %s\n", c.ID, c.State, operator.Clip(c.Post.Slug, 24), operator.Clip(c.Username, 20), operator.Clip(oneLine(c.Body), 60))
	}
	if len(found) == 0 {
		fmt.Fprintln(op.Stdout, "no comments match")
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (op *Commands) actOnComments(ctx context.Context, action string, flags map[string]string, pos []string) error {
	if len(flags) > 0 || len(pos) == 0 {
		return fmt.Errorf("usage: web comments %s ID...", action)
	}
	var ids []int64
	for _, p := range pos {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("%q is not a comment id", p)
		}
		ids = append(ids, id)
	}
	db, err := op.OpenCurrent(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	found, err := discussion.NewComments(db).FindCommentsByID(ctx, ids)
	if err != nil {
		return err
	}
	if missing := missingIDs(ids, found); len(missing) > 0 {
		return fmt.Errorf("no comment with id %s; nothing changed", strings.Join(missing, ", "))
	}
	mod, err := op.Moderation(ctx, db)
	if err != nil {
		return err
	}
	moved, err := mod.Act(ctx, repo.ActorCLI, action, ids)
	if err != nil {
		return err
	}
	for _, m := range moved {
		fmt.Fprintf(op.Stdout, "comment %d: %s -> %s\n", m.ID, m.From, m.To)
	}
	if unchanged := len(uniqueCount(ids)) - len(moved); unchanged > 0 {
		fmt.Fprintf(op.Stdout, "%d comment(s) were in that state already\n", unchanged)
	}
	return nil
}

func missingIDs(ids []int64, found []repo.Comment) []string {
	have := map[int64]bool{}
	for _, c := range found {
		have[c.ID] = true
	}
	var out []string
	for _, id := range ids {
		if !have[id] {
			out = append(out, strconv.FormatInt(id, 10))
		}
	}
	return out
}

func uniqueCount(ids []int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}
