package comments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"blog/cmd/web/operator"
	"blog/importer"
	"blog/importer/blogexport"
	"blog/repo/posts"
	"blog/repo/transfer"
)

// Import brings comments from another system (or an export of this blog) into the database.
func (op *Commands) Import(ctx context.Context, args []string) error {
	const usage = "usage: web import --from disqus|wordpress|remark42|isso|commento|blog FILE [--map MAPFILE] [--dry-run] [--skip-invalid]"
	flags, pos, err := operator.ParseArgs(args, []string{"from", "map"}, []string{"dry-run", "skip-invalid"})
	if err != nil {
		return fmt.Errorf("%w\n%s", err, usage)
	}
	if len(pos) != 1 || flags["from"] == "" {
		return errors.New(usage)
	}
	if _, ok := importer.Sources[flags["from"]]; !ok {
		return fmt.Errorf("--from %q: use one of %s", flags["from"], importer.SourceNames())
	}
	if st, err := os.Stat(pos[0]); err != nil || st.IsDir() {
		return fmt.Errorf("%s: not a file", pos[0])
	}
	db, err := op.OpenCurrent(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := op.LoadContent(ctx, db); err != nil {
		return err
	}
	rows, err := posts.NewPosts(db).ListPosts(ctx)
	if err != nil {
		return err
	}
	posts := make([]importer.PostRef, len(rows))
	for i, p := range rows {
		posts[i] = importer.PostRef{ID: p.ID, Slug: p.Slug, Title: p.Title}
	}
	match := importer.NewMatcher(posts)
	if m := flags["map"]; m != "" {
		f, err := os.Open(m)
		if err != nil {
			return fmt.Errorf("--map: %w", err)
		}
		err = match.ReadMap(f, m)
		f.Close()
		if err != nil {
			return err
		}
	}
	if debug.SetMemoryLimit(-1) == math.MaxInt64 { // GOMEMLIMIT unset
		debug.SetMemoryLimit(importer.SoftMemoryLimit)
	}
	// Comments the other system published pass this blog's bans and spam rules, as every comment does.
	mod, err := op.Moderation(ctx, db)
	if err != nil {
		return err
	}
	screen := func(ctx context.Context, email, name, body string) (string, string, error) {
		d, err := mod.ScreenHistory(ctx, email, name, body)
		return d.State, d.Reason, err
	}
	start := time.Now()
	report, err := importer.Run(ctx, transfer.NewImports(db), importer.Options{From: flags["from"], Path: pos[0], Posts: posts,
		Match: match, DryRun: flags["dry-run"] == "true", SkipInvalid: flags["skip-invalid"] == "true", Screen: screen})
	if err != nil {
		return err
	}
	report.Print(op.Stdout)
	fmt.Fprintf(op.Stdout, "  took %v\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// Export writes everything to a new file in the blog's export format. It never overwrites a file: the
// export is written beside it under a temporary name and renamed when complete.
func (op *Commands) Export(ctx context.Context, args []string) error {
	if len(args) != 1 || args[0] == "" {
		return errors.New("usage: web export FILE (or - for standard output)")
	}
	db, err := op.OpenCurrent(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "-" {
		_, err := blogexport.Export(ctx, transfer.NewImports(db), op.Stdout, time.Now())
		return err
	}
	path := args[0]
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists; choose a new file name", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := blogexport.Export(ctx, transfer.NewImports(db), tmp, time.Now())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export (nothing written to %s): %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(op.Stdout, "exported %d comments, %d commenters, %d posts and %d bans to %s\n", n.Comments, n.Users, n.Posts, n.Bans, path)
	return nil
}
