package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blog/handlers"
	"blog/moderation"
	"blog/observe"
	"blog/repo"
	"blog/spam"
)

// TestSpamRules posts through the real router with the rules on and checks what is held, with which reason,
// what is sent back, and the counts per reason in /metrics.
func TestSpamRules(t *testing.T) {
	metrics := observe.NewMetrics(func() int { return 0 })
	a := newTestApp(t, func(c *handlers.Config) { c.Metrics, c.MetricsToken = metrics, "tok" })
	a.mod.Rules = spam.Rules{Stamps: true, MinAge: 2 * time.Second, MaxLinks: 2, Words: spam.ParseWords("casino")}
	stamper := spam.NewStamper([]byte("test-key-test-key-test-key-0123")) // the test app's CSRF key signs stamps
	aged := stamper.Stamp(time.Now().Add(-10 * time.Second))
	tests := []struct {
		name, stamp, body string
		wantStatus        int
		wantState, reason string
	}{
		{"a person, ten seconds after loading the page", aged, "Thoughtful words.", 200, repo.StatePublished, ""},
		{"posted at once", "", "Too quick.", 200, repo.StatePending, "after the page loaded"},
		{"no timestamp at all", "-", "Who am I?", 200, repo.StatePending, "timestamp was missing"},
		{"a forged timestamp", "abc.def", "Forged.", 200, repo.StatePending, "timestamp was missing"},
		{"three links", aged, "https://a.example https://b.example www.c.example", 200, repo.StatePending, "3 links"},
		{"two links", aged, "https://a.example and https://b.example", 200, repo.StatePublished, ""},
		{"a listed word", aged, "Play at the CASINO!", 200, repo.StatePending, `listed word "casino"`},
		{"a form left open for two days", stamper.Stamp(time.Now().Add(-48 * time.Hour)), "Stale page.", 422, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := a.newClient()
			c.get(t, "/posts/"+a.slug)
			f := form("Reader", "reader@example.com", tt.body)
			switch tt.stamp {
			case "":
				f.Set("_t", c.stamp)
			case "-":
			default:
				f.Set("_t", tt.stamp)
			}
			resp, body := c.post(t, "/posts/"+a.slug+"/comments", f, true)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tt.wantStatus, body)
			}
			var got []repo.Comment
			a.db.Repo().FindAll(context.Background(), &got)
			var found *repo.Comment
			for i := range got {
				if got[i].Body == tt.body {
					found = &got[i]
				}
			}
			if tt.wantState == "" {
				if found != nil || !strings.Contains(doc(t, body).Find("#form-notice").Text(), "post it again") ||
					doc(t, body).Find("#comment-body").Text() != tt.body {
					t.Fatalf("a stale form must be sent back with the text kept and nothing stored")
				}
				return
			}
			if found == nil || found.State != tt.wantState || !strings.Contains(found.Reason, tt.reason) {
				t.Fatalf("stored %+v, want state %s with a reason containing %q", found, tt.wantState, tt.reason)
			}
			if tt.wantState == repo.StatePending && !strings.Contains(doc(t, body).Find("#form-notice").Text(), "held for review") {
				t.Fatal("a held comment's author is not told")
			}
		})
	}
	req := httpReq(http.MethodGet, "/metrics", nil)
	req.Header.Set("Authorization", "Bearer tok")
	_, m := a.do(t, req)
	for _, want := range []string{`blog_comments_held_total{reason="too_fast"} 1`, `blog_comments_held_total{reason="no_timestamp"} 2`,
		`blog_comments_held_total{reason="links"} 1`, `blog_comments_held_total{reason="words"} 1`, `blog_comments_rejected_total{reason="form_too_old"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestModerationFirst holds a browser's comments until the owner approves one of them; from then on that
// browser's comments appear at once, whatever email they use, and another browser is still held.
func TestModerationFirst(t *testing.T) {
	a := newTestApp(t)
	a.mod.Mode = moderation.ModeFirst
	reader := a.newClient()
	reader.comment(t, "Ann", "ann@example.com", "my first comment")
	var first repo.Comment
	a.db.Repo().Find(context.Background(), &first)
	if first.State != repo.StatePending || !strings.Contains(first.Reason, "first comment") {
		t.Fatalf("first comment: %s (%s)", first.State, first.Reason)
	}
	reader.comment(t, "Ann", "ann@example.com", "my second, still before approval")
	o := a.owner(t)
	o.post(t, "/admin/comments", url.Values{"action": {"approve"}, "id": {itoa(first.ID)}}, false)
	reader.comment(t, "Ann", "another@example.com", "after approval")
	stranger := a.newClient()
	stranger.comment(t, "Eve", "ann@example.com", "claims to be Ann")
	var all []repo.Comment
	a.db.Repo().FindAll(context.Background(), &all)
	want := map[string]string{"my first comment": repo.StatePublished, "my second, still before approval": repo.StatePending,
		"after approval": repo.StatePublished, "claims to be Ann": repo.StatePending}
	for _, c := range all {
		if c.State != want[c.Body] {
			t.Errorf("%q: %s, want %s", c.Body, c.State, want[c.Body])
		}
	}
}
