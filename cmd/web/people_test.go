package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"blog/internal/dbtest"
	"blog/internal/mailtest"
	"blog/people"
)

var dataLink = regexp.MustCompile(`https?://\S+/your-data/manage\?t=\S+`)

// webCmdIn runs the program's binary with args in dir (where `web people erase --force` writes its backup).
func webCmdIn(t *testing.T, dir string, env map[string]string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitMail waits for a message to an address, and returns it.
func waitMail(t *testing.T, relay *mailtest.Server, to string) mailtest.Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range relay.Messages() {
			if m.To[0] == to {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no mail to %s; received %d", to, len(relay.Messages()))
	return mailtest.Message{}
}

// TestYourDataThroughTheRealProgram runs the program with a real SMTP server on SQLite and on PostgreSQL: a
// commenter asks for their data from the form under the comments (the answer is the same for an address that
// never commented, which gets no mail), follows the mailed link, downloads the JSON and erases their comments;
// an open page's stream hears of it at once (the answered comment becomes "Comment removed"); links that were
// changed or made for another purpose are refused; the client's bound holds; and `web people erase` refuses
// without --force and writes its backup first with it, while the server runs.
func TestYourDataThroughTheRealProgram(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, url string }{{"sqlite", ""}, {"postgres", "pg"}} {
		t.Run(tc.name, func(t *testing.T) {
			dbURL := dbtest.SQLiteURL(t)
			if tc.url == "pg" {
				dbURL = dbtest.PostgresURL(t)
			}
			relay := mailtest.Start(t)
			env := map[string]string{"DATABASE_URL": dbURL, "SMTP_URL": relay.URL(), "MAIL_FROM": "Field Notes <blog@example.com>",
				"NOTIFY_RETRY": "50ms", "RATE_LIMIT": "off"}
			p := startProc(t, env)
			ada := newVisitor(t)
			resp := ada.comment(t, p.base, "hello-world", "Ada", "ada@example.com", "Ada's words, to be erased.")
			m := commentID.FindStringSubmatch(resp.Header.Get("Location"))
			if m == nil {
				t.Fatalf("post: %d", resp.StatusCode)
			}
			adaID := m[1]
			newVisitor(t).postForm(t, p.base, "hello-world", url.Values{"username": {"Bob"}, "email": {"bob@example.com"},
				"body": {"Bob's answer stays."}, "parent": {adaID}})
			page := okBody(t, p.base+"/posts/hello-world")
			if !strings.Contains(page, `href="/your-data"`) {
				t.Fatal("no link to the data page under the comment form")
			}
			seq := seqInPage.FindStringSubmatch(page)
			lines := streamLines(t, p.base+"/posts/hello-world/events?after="+seq[1])

			// The same answer for an address that never commented as for Ada's.
			ask := func(email string) (int, string) {
				v := newVisitor(t)
				v.get(t, p.base+"/your-data")
				resp, err := v.client.PostForm(p.base+"/your-data", url.Values{"email": {email}, "_csrf": {v.token}})
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, strings.ReplaceAll(string(b), email, "EMAIL")
			}
			tokenField := regexp.MustCompile(`name="(_csrf|csrf-token)"[^>]*`)
			s1, b1 := ask("nobody@example.com")
			s2, b2 := ask("ada@example.com")
			if s1 != 200 || s2 != 200 || tokenField.ReplaceAllString(b1, "") != tokenField.ReplaceAllString(b2, "") {
				t.Fatalf("answers differ: %d %d", s1, s2)
			}
			if !strings.Contains(b2, `data-testid="YourDataSent"`) {
				t.Fatalf("no confirmation that a link is on its way:\n%s", b2)
			}
			if s, _ := ask("not an address"); s != http.StatusUnprocessableEntity {
				t.Fatalf("invalid address: %d", s)
			}
			mail := waitMail(t, relay, "ada@example.com")
			link := dataLink.FindString(mail.Text)
			if link == "" {
				t.Fatalf("no link in:\n%s", mail.Text)
			}
			for _, msg := range relay.Messages() {
				if msg.To[0] == "nobody@example.com" {
					t.Fatal("an address that never commented got mail")
				}
			}
			token, _ := url.Parse(link)
			tok := token.Query().Get("t")

			// Changed links, and links made for something else, open nothing.
			forged := strings.Replace(tok, tok[strings.LastIndex(tok, ".")+1:], "AAAAAAAAAAAAAAAAAAAAAAAA", 1)
			for _, bad := range []string{forged, tok[:len(tok)-2], ""} {
				if s, _ := get(t, p.base+"/your-data/manage?t="+url.QueryEscape(bad)); s != http.StatusBadRequest {
					t.Errorf("changed link: %d, want 400", s)
				}
			}
			s, manage := ada.get(t, link)
			if s != 200 || !strings.Contains(manage, "Ada&#39;s words, to be erased.") || !strings.Contains(manage, `data-testid="EraseForm"`) {
				t.Fatalf("manage page: %d\n%s", s, manage)
			}
			resp, err := http.Get(p.base + "/your-data/export?t=" + url.QueryEscape(tok))
			if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("export: %v %v", err, resp)
			}
			var exp people.Export
			if err := json.NewDecoder(resp.Body).Decode(&exp); err != nil || len(exp.Comments) != 1 || exp.Comments[0].Text != "Ada's words, to be erased." || exp.Commenter == nil {
				t.Fatalf("export: %v %+v", err, exp)
			}
			resp.Body.Close()

			// Erasing needs the box; then the open page hears of it.
			form := url.Values{"t": {tok}, "_csrf": {ada.token}}
			resp, _ = ada.client.PostForm(p.base+"/your-data/erase", form)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("erase without the box: %d", resp.StatusCode)
			}
			form.Set("confirm", "1")
			start := time.Now()
			resp, _ = ada.client.PostForm(p.base+"/your-data/erase", form)
			done, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(done), `data-testid="ErasedNotice"`) {
				t.Fatalf("erase: %d\n%s", resp.StatusCode, done)
			}
			waitLine(t, lines, `data-testid="RemovedComment"`, 30*time.Second)
			t.Logf("the erasure reached an open stream %v after the button", time.Since(start).Round(time.Millisecond))
			page = okBody(t, p.base+"/posts/hello-world")
			if strings.Contains(page, "Ada's words") || strings.Contains(page, "Ada&#39;s words") || !strings.Contains(page, "Bob&#39;s answer stays.") || !strings.Contains(page, "Comment removed.") {
				t.Fatal("the page still shows Ada's comment, or lost Bob's reply or the placeholder")
			}
			if s, again := ada.get(t, link); s != 200 || !strings.Contains(again, `data-testid="HeldNothing"`) {
				t.Fatalf("the link after the erasure: %d", s)
			}

			// The command line: it says what is lost and refuses; with --force it writes the backup first.
			dir := t.TempDir()
			out, err := webCmdIn(t, dir, env, "people", "erase", "bob@example.com")
			if err == nil || !strings.Contains(out, "1 comment(s)") || !strings.Contains(out, "refusing") {
				t.Fatalf("erase without --force: %v\n%s", err, out)
			}
			if out, err := webCmdIn(t, dir, env, "people", "export", "bob@example.com"); err != nil || !strings.Contains(out, "Bob's answer stays.") {
				t.Fatalf("export after the refusal: %v\n%s", err, out)
			}
			out, err = webCmdIn(t, dir, env, "people", "erase", "bob@example.com", "--force")
			if err != nil || !strings.Contains(out, "backup written to") || !strings.Contains(out, "erased: 1 comment(s)") {
				t.Fatalf("erase --force: %v\n%s", err, out)
			}
			backups, _ := filepath.Glob(filepath.Join(dir, "people-erase-*.json"))
			if len(backups) != 1 {
				t.Fatalf("backups: %v", backups)
			}
			if b, _ := os.ReadFile(backups[0]); !strings.Contains(string(b), "Bob's answer stays.") {
				t.Fatal("the backup does not hold what was erased")
			}
			waitLine(t, lines, `data-gone="deleted"`, 30*time.Second)

			// The blog's own export, with erased comments in it, imports into a new database.
			file := filepath.Join(dir, "export.jsonl")
			if out, err := webCmdIn(t, dir, env, "export", file); err != nil {
				t.Fatalf("web export: %v\n%s", err, out)
			}
			fresh := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
			if out, err := webCmdIn(t, dir, fresh, "migrate", "up"); err != nil {
				t.Fatalf("migrate: %v\n%s", err, out)
			}
			if out, err := webCmdIn(t, dir, fresh, "import", "--from", "blog", file); err != nil || strings.Contains(out, "ada@example.com") {
				t.Fatalf("web import of an export with erased comments: %v\n%s", err, out)
			}

			// The client's bound: two requests were made from here, three more pass, the sixth is refused.
			for i := 0; i < people.Bounds.Address-2; i++ {
				if s, _ := ask("someone@example.com"); s != 200 {
					t.Fatalf("request %d: %d", i+3, s)
				}
			}
			if s, _ := ask("someone@example.com"); s != http.StatusTooManyRequests {
				t.Fatalf("request past the bound: %d, want 429", s)
			}
		})
	}
}
