package operator

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"

	"blog/newsletter"
	"blog/repo/subscribers"
)

// Subscribers runs `web subscribers`: how many readers get new posts by email; `web subscribers export FILE`
// writes them as CSV (FILE "-": the standard output); `web subscribers import FILE` reads the blog's CSV, or
// Substack's or Buttondown's export as it is, all or nothing. The console's page does the same through the same
// code.
func (op *Commands) Subscribers(ctx context.Context, args []string) error {
	const usage = "usage: web subscribers | web subscribers export FILE | web subscribers import FILE"
	if len(args) != 0 && (len(args) != 2 || (args[0] != "export" && args[0] != "import")) {
		return errors.New(usage)
	}
	db, err := op.OpenCurrent(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	letters := newsletter.New(newsletter.Config{Store: subscribers.New(db)})
	if len(args) == 0 {
		c, err := letters.Counts(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(op.Stdout, "%d confirmed subscriber(s), %d waiting to confirm, %d unsubscribed\n", c.Confirmed, c.Waiting, c.Unsubscribed)
		return nil
	}
	file := args[1]
	if args[0] == "export" {
		out := op.Stdout
		var f *os.File
		if file != "-" {
			if f, err = os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
				return fmt.Errorf("export: %w (the file must not exist yet)", err)
			}
			out = f
		}
		w := bufio.NewWriter(out)
		n, err := letters.Export(ctx, w)
		if err == nil {
			err = w.Flush()
		}
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				fmt.Fprintf(op.Stdout, "exported %d subscriber(s) to %s\n", n, file)
			}
		}
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > newsletter.MaxImportBytes {
		return fmt.Errorf("import: %s is larger than %d MB; nothing imported", file, newsletter.MaxImportBytes>>20)
	}
	res, err := letters.Import(ctx, f, "import")
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	fmt.Fprintf(op.Stdout, "read %d subscriber(s) (%d confirmed, %d waiting, %d unsubscribed): %d added, %d changed, the rest known already\n",
		res.Read, res.Confirmed, res.Waiting, res.Unsubscribed, res.Added, res.Changed)
	return nil
}
