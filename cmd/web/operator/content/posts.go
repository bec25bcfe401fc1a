package content

import (
	"context"
	"errors"
	"fmt"
	"time"

	"blog/cmd/web/operator"
	"blog/repo"
	"blog/repo/posts"
)

// Posts runs `web posts list|close|open|reset`: which posts take comments, and the owner's choice per post; and
// `web posts export|import DIR`: the desk's posts written out as Markdown files, or read back.
func (op *Commands) Posts(ctx context.Context, args []string) error {
	const usage = "usage: web posts list | web posts close|open|reset SLUG... | web posts export|import DIR"
	if len(args) == 0 {
		return errors.New(usage)
	}
	sub, slugs := args[0], args[1:]
	if sub == "export" || sub == "import" {
		if len(slugs) != 1 {
			return fmt.Errorf("usage: web posts %s DIR", sub)
		}
		return op.transferPosts(ctx, sub, slugs[0])
	}
	choice, ok := map[string]string{"close": repo.CommentsClosed, "open": repo.CommentsOpen, "reset": repo.CommentsFollow}[sub]
	switch {
	case sub == "list" && len(slugs) == 0:
	case sub == "list":
		return fmt.Errorf("web posts list takes no arguments\n%s", usage)
	case !ok:
		return fmt.Errorf("unknown command %q\n%s", sub, usage)
	case len(slugs) == 0:
		return fmt.Errorf("usage: web posts %s SLUG...", sub)
	}
	db, err := op.OpenCurrent(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	postStore := posts.NewPosts(db)
	if sub == "list" {
		all, err := postStore.ListPosts(ctx)
		if err != nil {
			return err
		}
		for _, p := range all {
			fmt.Fprintf(op.Stdout, "%-40s %5d comments  %s\n", operator.Clip(p.Slug, 40), p.CommentCount, postState(p))
		}
		return nil
	}
	// Every slug is checked before anything changes.
	for _, slug := range slugs {
		if _, err := postStore.FindPostBySlug(ctx, slug); errors.Is(err, repo.ErrNotFound) {
			return fmt.Errorf("no post %q; nothing changed", slug)
		} else if err != nil {
			return err
		}
	}
	for _, slug := range slugs {
		// Audited under the names the console's buttons use.
		name := map[string]string{"close": "comments-closed", "open": "comments-open", "reset": "comments-reset"}[sub]
		p, err := postStore.SetComments(ctx, slug, choice, repo.Action{Actor: repo.ActorCLI, Name: name})
		if err != nil {
			return err
		}
		fmt.Fprintf(op.Stdout, "%s: %s\n", slug, postState(p))
	}
	return nil
}

// postState says in words whether a post takes comments, and why not.
func postState(p repo.Post) string {
	if why := p.ClosedBecause(time.Now()); why != "" {
		return why
	}
	if p.CommentsOverride == repo.CommentsOpen {
		return "open (kept open by the owner)"
	}
	if p.CommentsCloseAt != nil {
		return "open until " + p.CommentsCloseAt.UTC().Format("2 Jan 2006, 15:04 UTC")
	}
	return "open"
}
