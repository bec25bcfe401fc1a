package comments

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"blog/cmd/web/operator"
	"blog/repo"
	"blog/repo/posts"
	"blog/repo/tallies"
)

// Reactions runs `web reactions [--post SLUG] [--limit N]`: the readers' reactions, as the console shows them
// beside each comment, summed up per post (most first), then the comments with the most.
func (op *Commands) Reactions(ctx context.Context, args []string) error {
	const usage = "usage: web reactions [--post SLUG] [--limit N]"
	flags, pos, err := operator.ParseArgs(args, []string{"post", "limit"}, nil)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, usage)
	}
	if len(pos) > 0 {
		return fmt.Errorf("web reactions takes no arguments, only --post and --limit\n%s", usage)
	}
	limit := 20
	if l, ok := flags["limit"]; ok {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > 10000 {
			return fmt.Errorf("--limit %q: want a number from 1 to 10000", l)
		}
	}
	db, err := op.OpenCurrent(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	store := tallies.New(db)
	var postID int64
	if slug := flags["post"]; slug != "" {
		p, err := posts.NewPosts(db).FindPostBySlug(ctx, slug)
		if errors.Is(err, repo.ErrNotFound) {
			return fmt.Errorf("--post %q: there is no such post", slug)
		} else if err != nil {
			return err
		}
		postID = p.ID
	}
	posts, err := store.Summary(ctx, 0)
	if err != nil {
		return err
	}
	shown := 0
	for _, p := range posts {
		if (postID == 0 || p.PostID == postID) && shown < limit {
			fmt.Fprintf(op.Stdout, "post %-32s %-40s on its comments: %d\n", operator.Clip(p.Slug, 32), tallyWords(p.Post), p.Comments)
			shown++
		}
	}
	top, err := store.TopComments(ctx, postID, limit)
	if err != nil {
		return err
	}
	for _, c := range top {
		fmt.Fprintf(op.Stdout, "comment %-7d %-40s %-20s %s\n", c.ID, tallyWords(c.Tally()), operator.Clip(c.Username, 20), operator.Clip(oneLine(c.Body), 50))
	}
	if shown == 0 && len(top) == 0 {
		fmt.Fprintln(op.Stdout, "no reactions yet")
	}
	return nil
}

// tallyWords writes a tally as "like 2, love 1" ("none" when empty).
func tallyWords(t repo.Tally) string {
	var parts []string
	for i, k := range repo.ReactionKinds {
		if t[i] > 0 {
			parts = append(parts, k.Name+" "+strconv.Itoa(t[i]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
