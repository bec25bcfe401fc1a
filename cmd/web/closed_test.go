package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blog/internal/dbtest"
)

// TestCommandLineClosesAPost runs `web comments pin|unpin`, `web posts close` and `web posts open` as separate
// processes while a server (SQLite) runs: each reaches an open stream of the post, the server refuses a comment while it is closed, and
// `web posts list` says why it is closed.
func TestCommandLineClosesAPost(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	p := startProc(t, env)
	page := okBody(t, p.base+"/posts/hello-world")
	m := seqInPage.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no stream address on the page")
	}
	lines := streamLines(t, p.base+"/posts/hello-world/events?after="+m[1])
	// Pinning from the command line reaches the open stream too.
	resp := newVisitor(t).comment(t, p.base, "hello-world", "Ann", "ann@example.com", "Pin me.")
	loc := resp.Header.Get("Location")
	id := loc[strings.LastIndex(loc, "-")+1:]
	if out, err := webCmd(t, env, "", "comments", "pin", id); err != nil || !strings.Contains(out, "comment "+id+": unpinned -> pinned") {
		t.Fatalf("web comments pin: %v\n%s", err, out)
	}
	waitLine(t, lines, `data-pinned`, 30*time.Second)
	if out, err := webCmd(t, env, "", "comments", "unpin", id); err != nil || !strings.Contains(out, "comment "+id+": pinned -> unpinned") {
		t.Fatalf("web comments unpin: %v\n%s", err, out)
	}
	start := time.Now()
	if out, err := webCmd(t, env, "", "posts", "close", "hello-world"); err != nil || !strings.Contains(out, "hello-world: closed by the owner") {
		t.Fatalf("web posts close: %v\n%s", err, out)
	}
	waitLine(t, lines, `data-testid="CommentsClosed"`, 30*time.Second)
	t.Logf("closing by another process reached the open stream %v after the command started", time.Since(start).Round(time.Millisecond))
	if out, _ := webCmd(t, env, "", "posts", "list"); !strings.Contains(out, "closed by the owner") {
		t.Fatalf("web posts list:\n%s", out)
	}
	resp = newVisitor(t).comment(t, p.base, "hello-world", "Ann", "ann@example.com", "Too late?")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("comment on a closed post: %d, want 403", resp.StatusCode)
	}
	if out, err := webCmd(t, env, "", "posts", "open", "hello-world"); err != nil || !strings.Contains(out, "hello-world: open") {
		t.Fatalf("web posts open: %v\n%s", err, out)
	}
	waitLine(t, lines, `<div id="comments-state" data-testid="CommentsState"></div>`, 30*time.Second)
	for _, args := range [][]string{{"posts", "close", "no-such-post"}, {"posts", "shut", "hello-world"}, {"posts", "close"}, {"posts", "list", "x"}} {
		if out, err := webCmd(t, env, "", args...); err == nil || !strings.HasPrefix(out, "web: ") {
			t.Errorf("web %s: err %v, output %q; want a refusal", strings.Join(args, " "), err, out)
		}
	}
}

// TestCommentsCloseAfterClosesOpenPages serves a post dated today with COMMENTS_CLOSE_AFTER set to close it a few
// seconds after the server starts: a comment before then is taken; when the time passes, the open page's stream
// says the post is closed without anybody acting, and a comment is refused.
func TestCommentsCloseAfterClosesOpenPages(t *testing.T) {
	t.Parallel()
	// The program is built before the clock starts: on a cold build cache the build alone can outlast the
	// seconds the post stays open (when this is the first test to start it, as with -run).
	binary(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "posts"), 0o755)
	now := time.Now().UTC()
	midnight := now.Truncate(24 * time.Hour)
	closeAt := now.Add(15 * time.Second) // room for a start and a comment beside the other tests
	name := filepath.Join(dir, "posts", midnight.Format(time.DateOnly)+"-fresh.md")
	os.WriteFile(name, []byte("---\ntitle: Fresh\ndate: "+midnight.Format(time.DateOnly)+"\n---\nJust out."), 0o644)
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "CONTENT_DIR": dir,
		"COMMENTS_CLOSE_AFTER": fmt.Sprintf("%ds", int(closeAt.Sub(midnight).Seconds())+1)}
	p := startProc(t, env)
	page := okBody(t, p.base+"/posts/fresh")
	m := seqInPage.FindStringSubmatch(page)
	if m == nil || strings.Contains(page, `data-testid="CommentsClosed"`) {
		t.Fatal("the fresh post has no stream address, or is closed already")
	}
	if resp := newVisitor(t).comment(t, p.base, "fresh", "Ann", "ann@example.com", "In time."); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment before the time: %d, want 303", resp.StatusCode)
	}
	lines := streamLines(t, p.base+"/posts/fresh/events?after="+m[1])
	waitLine(t, lines, `data-testid="CommentsClosed"`, 30*time.Second)
	t.Logf("the closing reached the open stream %v after the post's time", time.Since(closeAt).Round(time.Millisecond))
	resp := newVisitor(t).comment(t, p.base, "fresh", "Bob", "bob@example.com", "Too late.")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("comment after the time: %d, want 403", resp.StatusCode)
	}
	if page := okBody(t, p.base+"/posts/fresh"); !strings.Contains(page, `data-testid="CommentsClosed"`) || !strings.Contains(page, "In time.") {
		t.Fatal("the page after the time is not closed, or lost its comment")
	}
}
