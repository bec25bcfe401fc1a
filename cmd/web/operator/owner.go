package operator

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"blog/owner"
	"blog/repo"
	"blog/repo/accounts"
)

// Owner runs `web owner password|reset`.
func (op *Commands) Owner(ctx context.Context, args []string) error {
	const usage = "usage: web owner password (reads the new password from standard input) | web owner reset --force"
	if len(args) == 0 {
		return errors.New(usage)
	}
	flags, pos, err := ParseArgs(args[1:], nil, []string{"force"})
	if err != nil || len(pos) > 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "password":
		pw, err := readPassword(op.Stdin, op.Stdout)
		if err != nil {
			return err
		}
		if msg := owner.CheckPassword(pw); msg != "" {
			return errors.New(msg)
		}
		db, err := op.OpenCurrent(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		hash, err := owner.HashPassword(pw)
		if err != nil {
			return err
		}
		if err := accounts.NewOwner(db).SetPassword(ctx, hash, repo.Action{Actor: repo.ActorCLI, Name: "set-password"}); err != nil {
			return err
		}
		// SetPassword ends every session: nobody stays signed in with what the old password opened.
		fmt.Fprintln(op.Stdout, "password set and every session ended: sign in at /admin/login")
	case "reset":
		if flags["force"] == "" {
			return errors.New("web owner reset removes every password, passkey and session of the owner, so nobody can " +
				"sign in until the blog is claimed again with a new setup link (comments are not touched). " +
				"Run it again with --force to do it")
		}
		db, err := op.OpenCurrent(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		store := accounts.NewOwner(db)
		if err := store.Reset(ctx, repo.Action{Actor: repo.ActorCLI, Name: "owner-reset"}); err != nil {
			return err
		}
		link, err := owner.NewSetupLink(ctx, store)
		if err != nil {
			return err
		}
		fmt.Fprintf(op.Stdout, "every credential and session removed; claim the blog again at %s%s\n", op.Config.SetupBase(), link)
	default:
		return errors.New(usage)
	}
	return nil
}

// readPassword reads the password: without echo, twice, from a terminal; one line otherwise (a pipe).
func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "New password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stdout, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords are not the same; nothing changed")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
