package content

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"blog/cmd/web/operator"
	"blog/content"
	"blog/desk"
	"blog/repo"
	uploadstore "blog/repo/uploads"
	"blog/repo/writing"
	"blog/uploads"
)

// Images runs `web images list|add|delete`: the owner's uploaded images, through the same rules as the Images
// page (the kind read from the bytes, the bounds from UPLOAD_*, the metadata removed), so a folder of pictures can
// be uploaded from a script.
func (op *Commands) Images(ctx context.Context, args []string) error {
	const usage = "usage: web images list | web images add FILE [--alt TEXT] [--dark-of NAME] | web images delete NAME..."
	flags, pos, err := operator.ParseArgs(args, []string{"alt", "dark-of"}, nil)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, usage)
	}
	if len(pos) == 0 {
		return errors.New(usage)
	}
	db, err := op.OpenCurrent(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// An image a post shows is refused as on the Images page: the desk's posts, and the content folder's files.
	writer := &desk.Service{Store: writing.New(db), Library: op.contentLibrary}
	svc := uploads.New(uploadstore.New(db), op.Config.Uploads, uploads.CheckUse(writer.ImageUsers))
	switch {
	case pos[0] == "list" && len(pos) == 1:
		imgs, err := svc.List(ctx)
		if err != nil {
			return err
		}
		for _, im := range imgs {
			note := ""
			if im.DarkOf != "" {
				note = " (dark-theme variant of " + im.DarkOf + ")"
			}
			fmt.Fprintf(op.Stdout, "%-34s %-10s %-9s %s%s\n", im.Name, uploads.Size(im.Size), fmt.Sprintf("%dx%d", im.Width, im.Height), operator.Clip(im.Original, 40), note)
		}
		if len(imgs) == 0 {
			fmt.Fprintln(op.Stdout, "no images yet")
		}
		return nil
	case pos[0] == "add" && len(pos) == 2:
		f, err := os.Open(pos[1])
		if err != nil {
			return err
		}
		defer f.Close()
		max := int64(svc.Limits().MaxBytes)
		b, err := io.ReadAll(io.LimitReader(f, max+1))
		if err != nil {
			return err
		}
		img, err := svc.Upload(ctx, uploads.Input{Filename: filepath.Base(pos[1]), Data: b, Alt: flags["alt"], DarkOf: flags["dark-of"]})
		var refusal *uploads.Refusal
		if errors.As(err, &refusal) {
			return fmt.Errorf("%s: %s", pos[1], refusal.Msg)
		}
		if err != nil {
			return err
		}
		if img.Existed {
			fmt.Fprintln(op.Stdout, "uploaded before, as:")
		}
		fmt.Fprintln(op.Stdout, img.Markdown())
		return nil
	case pos[0] == "delete" && len(pos) > 1:
		for _, name := range pos[1:] {
			err := svc.Delete(ctx, name)
			var refusal *uploads.Refusal
			if errors.Is(err, repo.ErrNotFound) {
				return fmt.Errorf("%s: there is no such image", name)
			}
			if errors.As(err, &refusal) {
				return fmt.Errorf("%s: %s", name, refusal.Msg)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(op.Stdout, "deleted", name)
		}
		return nil
	}
	return errors.New(usage)
}

// contentLibrary reads the content folder (CONTENT_DIR, or the built-in sample) as the server would, for the
// image check; a folder that cannot be read counts as empty (the desk's posts are still checked).
func (op *Commands) contentLibrary() *content.Library {
	fsys := content.Embedded()
	if op.Config.ContentDir != "" {
		root, err := os.OpenRoot(op.Config.ContentDir)
		if err != nil {
			return &content.Library{}
		}
		fsys = root.FS()
	}
	lib, err := content.Load(fsys)
	if err != nil {
		return &content.Library{}
	}
	return lib
}
