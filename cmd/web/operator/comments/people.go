package comments

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"blog/cmd/web/operator"
	"blog/people"
	"blog/repo"
	"blog/repo/outbox"
	"blog/repo/subscribers"
)

// People runs `web people export EMAIL` and `web people erase EMAIL [--force]`.
func (op *Commands) People(ctx context.Context, args []string) error {
	const usage = "usage: web people export EMAIL | web people erase EMAIL [--force]"
	if len(args) == 0 {
		return errors.New(usage)
	}
	sub := args[0]
	flags, pos, err := operator.ParseArgs(args[1:], nil, []string{"force"})
	if err != nil {
		return fmt.Errorf("%w\n%s", err, usage)
	}
	if (sub != "export" && sub != "erase") || len(pos) != 1 || (sub == "export" && len(flags) > 0) {
		return errors.New(usage)
	}
	email, ok := people.ValidEmail(pos[0])
	if !ok {
		return fmt.Errorf("%q is not an email address; nothing done", pos[0])
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
	svc := &people.Service{Moderation: mod, Mailboxes: outbox.NewNotifications(db), Subscriptions: subscribers.New(db)}
	held, err := svc.Held(ctx, email)
	if err != nil {
		return err
	}
	if sub == "export" {
		_, err := op.Stdout.Write(held.Export().JSON())
		return err
	}
	if held.Empty() {
		fmt.Fprintf(op.Stdout, "nothing is held about %s; nothing to erase\n", email)
		return nil
	}
	fmt.Fprintf(op.Stdout, "erasing %s loses for good:\n  %s\n", email, lossOf(held))
	if flags["force"] == "" {
		return errors.New("refusing to erase: run `web people erase EMAIL --force` to do it (what is lost is written to a file first)")
	}
	backup := fmt.Sprintf("people-erase-%s.json", time.Now().UTC().Format("20060102T150405.000Z"))
	if err := os.WriteFile(backup, held.Export().JSON(), 0o600); err != nil {
		return fmt.Errorf("backup before erasing (nothing was erased): %w", err)
	}
	fmt.Fprintf(op.Stdout, "backup written to %s (it holds the erased data: delete it once you are sure)\n", backup)
	res, err := svc.Erase(ctx, repo.ActorCLI, email)
	if err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "erased: %d comment(s), %d mail record(s); open pages update live\n", res.Comments, res.Messages)
	return nil
}

// lossOf says in one line what erasing an address's data loses.
func lossOf(h people.Held) string {
	e := h.Export()
	versions := 0
	for _, c := range e.Comments {
		versions += len(c.Versions)
	}
	sub := "no mail subscription"
	if e.Mail.Subscription != nil {
		sub = "its mail subscription"
	}
	return fmt.Sprintf("%d comment(s) (text, name, address hashes; those with replies stay as \"Comment removed\"), "+
		"%d earlier version(s), %s, %d mail message(s)", len(e.Comments), versions, sub, len(e.Mail.Messages))
}
