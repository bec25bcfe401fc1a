package following_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"blog/activitypub/following"
	"blog/activitypub/streams"
)

// TestItemKeepsOnlyPlainText: what the console lists of a followed account's post is plain text within bounds,
// with its link on the post's own server and a date never in the future, whatever the post holds.
func TestItemKeepsOnlyPlainText(t *testing.T) {
	for _, tc := range []struct {
		name, doc                            string
		wantTitle, wantSummary, wantURL, not string
	}{
		{"article", `{"id":"https://b.example/posts/1","type":"Article","name":"A title","summary":"<p>The <em>summary</em>.</p>",
			"content":"<p>Body</p>","url":"https://b.example/posts/1","published":"2026-12-01T10:00:00Z"}`,
			"A title", "The summary.", "https://b.example/posts/1", "Body"},
		{"note with markup", `{"id":"https://m.example/users/ann/statuses/1","type":"Note","summary":"cw",
			"content":"<p>Hello<br>there <script>alert(1)</script><a href=\"javascript:x\">link</a> &amp; more</p><p>Second</p>",
			"url":"https://m.example/@ann/1"}`,
			"", "Hello there link & more Second", "https://m.example/@ann/1", "alert"},
		{"url elsewhere", `{"id":"https://m.example/users/ann/statuses/2","type":"Note","content":"x","url":"https://evil.example/phish",
			"published":"2999-01-01T00:00:00Z"}`,
			"", "x", "https://m.example/users/ann/statuses/2", ""},
		{"long", `{"id":"https://b.example/posts/2","type":"Article","name":"` + strings.Repeat("t", 400) + `","content":"` + strings.Repeat("w ", 600) + `"}`,
			strings.Repeat("t", following.MaxTitle-1) + "…", "", "https://b.example/posts/2", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o streams.Object
			if err := json.Unmarshal([]byte(tc.doc), &o); err != nil {
				t.Fatal(err)
			}
			it := following.Item(o, "https://x.example/actor")
			if it.Title != tc.wantTitle || it.URL != tc.wantURL || (tc.wantSummary != "" && it.Summary != tc.wantSummary) {
				t.Errorf("title %q url %q summary %q", it.Title, it.URL, it.Summary)
			}
			if tc.not != "" && strings.Contains(it.Summary, tc.not) {
				t.Errorf("summary %q holds %q", it.Summary, tc.not)
			}
			if len([]rune(it.Summary)) > following.MaxSummary || strings.ContainsAny(it.Summary, "<>") {
				t.Errorf("summary not bounded or not plain: %q", it.Summary)
			}
			if it.Published.After(time.Now()) {
				t.Errorf("published in the future: %v", it.Published)
			}
		})
	}
}
