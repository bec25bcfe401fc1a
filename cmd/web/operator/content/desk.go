package content

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"blog/desk"
)

// maxImportFiles bounds how many files `web posts import` reads at once.
const maxImportFiles = 10000

// transferPosts runs `web posts export DIR` (the desk's posts and pages written as Markdown files under
// DIR/posts and DIR/pages, which CONTENT_DIR reads) and `web posts import DIR` (DIR/posts/*.md and
// DIR/pages/*.md read into the desk, all or nothing), through the desk's own rules. A running server takes in an import through the change feed.
func (op *Commands) transferPosts(ctx context.Context, sub, dir string) error {
	db, err := op.OpenCurrent(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	d, err := op.Desk(ctx, db)
	if err != nil {
		return err
	}
	if sub == "export" {
		files, err := d.Export(ctx)
		if err != nil {
			return err
		}
		for _, sub := range []string{"posts", "pages"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
				return err
			}
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(f.Name)), f.Src, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(op.Stdout, "wrote %s\n", filepath.Join(dir, filepath.FromSlash(f.Name)))
		}
		fmt.Fprintf(op.Stdout, "exported %d post(s) written in the desk to %s\n", len(files), dir)
		return nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer root.Close()
	names, err := fs.Glob(root.FS(), "posts/*.md")
	if err != nil {
		return err
	}
	pages, err := fs.Glob(root.FS(), "pages/*.md")
	if err != nil {
		return err
	}
	names = append(names, pages...)
	if len(names) == 0 {
		return fmt.Errorf("import: no posts/*.md or pages/*.md in %s; nothing imported", dir)
	}
	if len(names) > maxImportFiles {
		return fmt.Errorf("import: %d files, more than %d at once; nothing imported", len(names), maxImportFiles)
	}
	files := make([]desk.File, 0, len(names))
	for _, name := range names {
		st, err := fs.Stat(root.FS(), name)
		if err != nil {
			return err
		}
		if st.Size() > desk.MaxBody+desk.MaxFrontMatter {
			return fmt.Errorf("import: %s is larger than %d KB; nothing imported", name, (desk.MaxBody+desk.MaxFrontMatter)>>10)
		}
		src, err := fs.ReadFile(root.FS(), name)
		if err != nil {
			return err
		}
		files = append(files, desk.File{Name: name, Src: src})
	}
	done, err := d.Import(ctx, files)
	for _, w := range done {
		fmt.Fprintf(op.Stdout, "imported %s\n", w.Slug)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "imported %d post(s) into the desk\n", len(done))
	return nil
}
