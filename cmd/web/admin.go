package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"

	"blog/database"
	"blog/database/schema"
	"blog/moderation"
	"blog/owner"
	"blog/repo"
	"blog/repo/accounts"
	"blog/repo/discussion"
)

// The owner's actions from the command line: the same code as the console, acting on the database directly.
// Their changes reach open pages through the change feed while a server runs.

// openCurrent opens an existing database whose schema is this binary's: commands other than serving and
// `migrate up` never create or migrate a database.
func openCurrent(ctx context.Context, cfg config) (*database.DB, error) {
	db, err := database.OpenMode(ctx, cfg.DatabaseURL, database.Existing)
	if err != nil {
		return nil, err
	}
	pending, err := schema.Pending(ctx, db)
	if err == nil && len(pending) > 0 {
		err = fmt.Errorf("%d migration(s) pending: run `web migrate up` (or start the server) first", len(pending))
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// cliArgs splits arguments into positional ones and --flags (anywhere on the line). Flags in valued take a value
// (--limit 20 or --limit=20); the others are switches.
func cliArgs(args []string, valued, switches []string) (map[string]string, []string, error) {
	flags := map[string]string{}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		switch {
		case contains(valued, name):
			if !hasVal {
				if i+1 >= len(args) {
					return nil, nil, fmt.Errorf("--%s needs a value", name)
				}
				i++
				val = args[i]
			}
			flags[name] = val
		case contains(switches, name) && !hasVal:
			flags[name] = "true"
		default:
			return nil, nil, fmt.Errorf("unknown option --%s", name)
		}
	}
	return flags, pos, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// moderationFor builds the moderation service for commands; changes reach running servers through the feed.
func moderationFor(ctx context.Context, cfg config, db *database.DB) (*moderation.Service, error) {
	keys, err := siteKeys(ctx, cfg, db)
	if err != nil {
		return nil, err
	}
	return newModeration(cfg, db, keys), nil
}

// comments runs `web comments list|approve|spam|delete|restore|purge`.
func comments(ctx context.Context, args []string, cfg config, stdout io.Writer) error {
	const usage = "usage: web comments list [--state S] [--post SLUG] [--limit N] | web comments approve|spam|delete|restore ID..."
	if len(args) == 0 {
		return errors.New(usage)
	}
	sub, args := args[0], args[1:]
	flags, pos, err := cliArgs(args, []string{"state", "post", "limit"}, nil)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, usage)
	}
	switch sub {
	case "list":
		return listComments(ctx, cfg, flags, pos, stdout)
	case "approve", "spam", "delete", "restore":
		return actOnComments(ctx, cfg, sub, flags, pos, stdout)
	}
	return fmt.Errorf("unknown command %q\n%s", sub, usage)
}

func listComments(ctx context.Context, cfg config, flags map[string]string, pos []string, stdout io.Writer) error {
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
	db, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if slug := flags["post"]; slug != "" {
		p, err := repo.NewPosts(db).FindPostBySlug(ctx, slug)
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
		fmt.Fprintf(stdout, "%-7d %-9s %-24s %-20s %s\n", c.ID, c.State, clip(c.Post.Slug, 24), clip(c.Username, 20), clip(oneLine(c.Body), 60))
	}
	if len(found) == 0 {
		fmt.Fprintln(stdout, "no comments match")
	}
	return nil
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func actOnComments(ctx context.Context, cfg config, action string, flags map[string]string, pos []string, stdout io.Writer) error {
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
	db, err := openCurrent(ctx, cfg)
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
	mod, err := moderationFor(ctx, cfg, db)
	if err != nil {
		return err
	}
	moved, err := mod.Act(ctx, repo.ActorCLI, action, ids)
	if err != nil {
		return err
	}
	for _, m := range moved {
		fmt.Fprintf(stdout, "comment %d: %s -> %s\n", m.ID, m.From, m.To)
	}
	if unchanged := len(uniqueCount(ids)) - len(moved); unchanged > 0 {
		fmt.Fprintf(stdout, "%d comment(s) were in that state already\n", unchanged)
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

// ban runs `web ban add|list|remove`.
func ban(ctx context.Context, args []string, cfg config, stdout io.Writer) error {
	const usage = "usage: web ban add email|domain|ip VALUE [--remove-past] | web ban list | web ban remove ID"
	if len(args) == 0 {
		return errors.New(usage)
	}
	sub, args := args[0], args[1:]
	flags, pos, err := cliArgs(args, nil, []string{"remove-past"})
	if err != nil {
		return fmt.Errorf("%w\n%s", err, usage)
	}
	switch {
	case sub == "add" && len(pos) == 2:
	case sub == "list" && len(pos) == 0 && len(flags) == 0:
	case sub == "remove" && len(pos) >= 1 && len(flags) == 0:
	default:
		return errors.New(usage)
	}
	db, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	mod, err := moderationFor(ctx, cfg, db)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		b, swept, err := mod.Ban(ctx, repo.ActorCLI, moderation.BanRequest{Kind: pos[0], Value: pos[1], RemovePast: flags["remove-past"] != ""})
		var bad moderation.ErrBadBan
		switch {
		case errors.As(err, &bad):
			return errors.New(bad.Msg)
		case errors.Is(err, repo.ErrExists):
			return fmt.Errorf("%s %s is banned already", pos[0], pos[1])
		case err != nil:
			return err
		}
		fmt.Fprintf(stdout, "banned %s %s (ban %d)\n", b.Kind, b.Label, b.ID)
		if len(swept) > 0 {
			fmt.Fprintf(stdout, "%d earlier comment(s) marked as spam\n", len(swept))
		}
	case "list":
		bans, err := mod.Bans(ctx)
		if err != nil {
			return err
		}
		for _, b := range bans {
			fmt.Fprintf(stdout, "%-5d %-7s %-40s since %s\n", b.ID, b.Kind, b.Label, b.CreatedAt.UTC().Format("2006-01-02 15:04"))
		}
		if len(bans) == 0 {
			fmt.Fprintln(stdout, "no bans")
		}
	case "remove":
		for _, p := range pos {
			id, err := strconv.ParseInt(p, 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("%q is not a ban id (see web ban list)", p)
			}
			b, err := mod.Unban(ctx, repo.ActorCLI, id)
			if errors.Is(err, repo.ErrNotFound) {
				return fmt.Errorf("there is no ban %d (see web ban list)", id)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "removed the ban on %s %s\n", b.Kind, b.Label)
		}
	}
	return nil
}

// ownerCmd runs `web owner password|reset`.
func ownerCmd(ctx context.Context, args []string, cfg config, stdin io.Reader, stdout io.Writer) error {
	const usage = "usage: web owner password (reads the new password from standard input) | web owner reset --force"
	if len(args) == 0 {
		return errors.New(usage)
	}
	flags, pos, err := cliArgs(args[1:], nil, []string{"force"})
	if err != nil || len(pos) > 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "password":
		pw, err := readPassword(stdin, stdout)
		if err != nil {
			return err
		}
		if msg := owner.CheckPassword(pw); msg != "" {
			return errors.New(msg)
		}
		db, err := openCurrent(ctx, cfg)
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
		fmt.Fprintln(stdout, "password set and every session ended: sign in at /admin/login")
	case "reset":
		if flags["force"] == "" {
			return errors.New("web owner reset removes every password, passkey and session of the owner, so nobody can " +
				"sign in until the blog is claimed again with a new setup link (comments are not touched). " +
				"Run it again with --force to do it")
		}
		db, err := openCurrent(ctx, cfg)
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
		fmt.Fprintf(stdout, "every credential and session removed; claim the blog again at %s%s\n", setupBase(cfg), link)
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
