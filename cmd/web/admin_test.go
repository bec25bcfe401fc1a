package main

import (
	"bufio"
	"context"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"blog/internal/dbtest"
	"blog/repo/review"
)

// webCmd runs the built program with a command line, as an operator would, and returns its output.
func webCmd(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// streamLines opens a post's event stream and sends every line it receives. The stream is subscribed when it
// returns: the server writes the headers it waited for after subscribing.
func streamLines(t *testing.T, url string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v", err)
	}
	lines := make(chan string, 256)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines
}

// waitLine waits for a stream line that contains s.
func waitLine(t *testing.T, lines <-chan string, s string, within time.Duration) {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stream ended before %q", s)
			}
			if strings.Contains(l, s) {
				return
			}
		case <-timeout:
			t.Fatalf("no %q on the stream within %v", s, within)
		}
	}
}

var seqInPage = regexp.MustCompile(`events\?after=(\d+)`)

// TestCommandLineModerationReachesOpenPages runs `web comments delete`, `web ban add` and `web comments list` as
// separate processes while a server (SQLite) runs: the deletion reaches an open stream (a poll away; waited for
// up to 30 s, as a busy machine is slow), and the server's page no longer shows the comment.
func TestCommandLineModerationReachesOpenPages(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	p := startProc(t, env)
	resp := newVisitor(t).comment(t, p.base, "hello-world", "Spammer", "spam@example.com", "cheap pills here")
	loc := resp.Header.Get("Location")
	id := loc[strings.LastIndex(loc, "-")+1:]
	page := okBody(t, p.base+"/posts/hello-world")
	m := seqInPage.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "cheap pills") {
		t.Fatalf("page before: no stream address or no comment")
	}
	lines := streamLines(t, p.base+"/posts/hello-world/events?after="+m[1])

	list, err := webCmd(t, env, "", "comments", "list", "--state", "published")
	if err != nil || !regexp.MustCompile(`(?m)^`+id+`\s+published\s+hello-world\s+Spammer\s+cheap pills here$`).MatchString(list) {
		t.Fatalf("web comments list: %v\n%s", err, list)
	}
	start := time.Now()
	out, err := webCmd(t, env, "", "comments", "delete", id)
	if err != nil || !strings.Contains(out, "comment "+id+": published -> deleted") {
		t.Fatalf("web comments delete: %v\n%s", err, out)
	}
	waitLine(t, lines, `data-gone="deleted"`, 30*time.Second)
	t.Logf("deletion by another process reached the open stream %v after the command started", time.Since(start).Round(time.Millisecond))
	if page := okBody(t, p.base+"/posts/hello-world"); strings.Contains(page, "cheap pills") {
		t.Fatal("the server still serves the deleted comment")
	}
	// Refusals change nothing and say why.
	for _, args := range [][]string{{"comments", "delete", "999999"}, {"comments", "approve", "abc"}, {"ban", "add", "ip", "10.0.0.0/8"},
		{"comments", "list", "--state", "gone"}, {"ban", "remove", "42"}, {"owner", "reset"}} {
		out, err := webCmd(t, env, "", args...)
		if err == nil || !strings.HasPrefix(out, "web: ") {
			t.Errorf("web %s: err %v, output %q; want a refusal", strings.Join(args, " "), err, out)
		}
	}
	out, err = webCmd(t, env, "", "ban", "add", "email", "Spam@Example.com")
	if err != nil || !strings.Contains(out, "banned email spam@example.com") {
		t.Fatalf("web ban add: %v\n%s", err, out)
	}
	if out, _ := webCmd(t, env, "", "ban", "list"); !strings.Contains(out, "spam@example.com") {
		t.Fatalf("web ban list:\n%s", out)
	}
	time.Sleep(review.BanCacheFor) // a ban made by another process applies within this

	resp = newVisitor(t).comment(t, p.base, "hello-world", "Spammer", "spam@example.com", "more spam")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment by a banned email: %d", resp.StatusCode)
	}
	if list, _ := webCmd(t, env, "", "comments", "list", "--state", "spam"); !strings.Contains(list, "more spam") {
		t.Fatalf("a banned commenter's comment is not held as spam:\n%s", list)
	}
	// The owner's password from standard input; then the console takes it.
	if out, err := webCmd(t, env, "a long enough password\n", "owner", "password"); err != nil || !strings.Contains(out, "password set") {
		t.Fatalf("web owner password: %v\n%s", err, out)
	}
	v := newVisitor(t)
	v.get(t, p.base+"/admin/login")
	resp, err = v.client.PostForm(p.base+"/admin/login", map[string][]string{"password": {"a long enough password"}, "_csrf": {v.token}})
	if err != nil || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("sign-in with the password set from the command line: %v %d", err, resp.StatusCode)
	}
	if status, audit := v.get(t, p.base+"/admin/audit"); status != 200 || strings.Count(audit, ">cli<") < 3 {
		t.Fatalf("audit trail: %d, %d command-line entries", status, strings.Count(audit, ">cli<"))
	}
	if out, err := webCmd(t, env, "", "owner", "reset", "--force"); err != nil || !strings.Contains(out, "/admin/setup?token=") {
		t.Fatalf("web owner reset --force: %v\n%s", err, out)
	}
	if status, _ := v.get(t, p.base+"/admin"); status != http.StatusSeeOther {
		t.Fatalf("console after reset: %d, want a redirect to sign in", status)
	}
}

// TestServerLogsTheSetupLink: a new blog logs a one-time setup link that claims it.
func TestServerLogsTheSetupLink(t *testing.T) {
	p := startProc(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)})
	m := regexp.MustCompile(`setup_link="?(http://[^\s"]+/admin/setup\?token=[\w-]{43})`).FindStringSubmatch(p.logs.String())
	if m == nil {
		t.Fatalf("no setup link in the log:\n%s", p.logs.String())
	}
	// On the server's port at localhost: it listens on 127.0.0.1, and a browser refuses passkeys for a number.
	link := m[1]
	if want := strings.Replace(p.base, "127.0.0.1", "localhost", 1) + "/"; !strings.HasPrefix(link, want) {
		t.Fatalf("setup link %s is not at %s", link, want)
	}
	if status, body := get(t, link); status != 200 || !strings.Contains(body, "Make this blog yours") {
		t.Fatalf("setup link %s: %d", link, status)
	}
}
