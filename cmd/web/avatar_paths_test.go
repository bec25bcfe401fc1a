package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"blog/internal/dbtest"
)

var (
	avatarPath = regexp.MustCompile(`<svg data-testid="Avatar"[^>]*><path fill="([^"]*)" d="([^"]*)"`)
	postedID   = regexp.MustCompile(`id="comment-(\d+)"`)
)

// keyedAvatars fails unless html draws at least one avatar and every one has a picture (drawn from the keyed
// seed; a store without the key draws an empty square).
func keyedAvatars(t *testing.T, where, html string) {
	t.Helper()
	found := avatarPath.FindAllStringSubmatch(html, -1)
	if len(found) == 0 {
		t.Fatalf("%s: no avatar in:\n%s", where, html)
	}
	for _, m := range found {
		if m[2] == "" || m[1] == "transparent" {
			t.Fatalf("%s: an avatar with no picture: %s", where, m[0])
		}
	}
}

// TestEveryPathDrawsKeyedAvatars posts and edits through the real server as the page's script does (htmx): the
// comment each answer carries is drawn with its author's picture, as on the page. (The moderation service had
// a store of its own without the key, so a comment just posted or edited showed an empty square until a reload.)
func TestEveryPathDrawsKeyedAvatars(t *testing.T) {
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "EDIT_WINDOW": "1h"})
	v := newVisitor(t)
	v.get(t, base+"/posts/hello-world")
	htmx := func(path string, f url.Values) string {
		t.Helper()
		f.Set("_csrf", v.token)
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		resp, err := v.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("POST %s: %d\n%s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	posted := htmx("/posts/hello-world/comments", url.Values{"username": {"Ada"}, "email": {"ada@example.com"},
		"body": {"Drawn with my picture"}, "_t": {v.stamp}})
	keyedAvatars(t, "the comment just posted", posted)
	m := postedID.FindStringSubmatch(posted)
	if m == nil {
		t.Fatalf("no comment in the answer:\n%s", posted)
	}
	keyedAvatars(t, "the comment just edited", htmx("/posts/hello-world/comments/"+m[1], url.Values{"body": {"Edited, still my picture"}}))
	_, page := v.get(t, base+"/posts/hello-world")
	keyedAvatars(t, "the page", page)
}
