package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"blog/fetch"
	"blog/internal/dbtest"
	"blog/webmention"
)

// TestLikesArriveLiveOnAnotherInstance runs two instances of the blog on one PostgreSQL database with a stream
// open on the second: a like and a repost sent to the first are verified there and reach the second's open
// stream with the new counts and names, and so does the like's removal (its source gone); the second's page
// shows what its stream said, and so does the list a page reloads after falling behind.
func TestLikesArriveLiveOnAnotherInstance(t *testing.T) {
	dbURL := dbtest.PostgresURL(t)
	env := func() map[string]string {
		return map[string]string{"DATABASE_URL": dbURL, "WEBMENTION_ALLOW_PRIVATE": "true", "RATE_LIMIT": "off"}
	}
	baseA, stopA := startServer(t, env())
	defer stopA()
	baseB, stopB := startServer(t, env())
	defer stopB()
	if baseA == baseB {
		t.Fatal("the two instances share an address")
	}
	page := okBody(t, baseB+"/posts/hello-world")
	m := seqInPage.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `<div id="elsewhere-counts"></div>`) {
		t.Fatal("no stream address, or no place for likes, on the page")
	}
	lines := streamLines(t, baseB+"/posts/hello-world/events?after="+m[1])

	target := baseA + "/posts/hello-world"
	other := newOtherSite(t)
	sender := fetch.New(fetch.Config{AllowPrivate: true})
	ctx := context.Background()
	send := func(path string) {
		t.Helper()
		res, err := webmention.Send(ctx, sender, other.srv.URL+path, target)
		if err != nil || res.Status != http.StatusAccepted {
			t.Fatalf("send %s: %+v %v", path, res, err)
		}
	}
	other.set("/like", `<div class="h-entry"><a class="u-like-of" href="`+target+`">liked</a><a class="p-author h-card" href="/">Bob</a></div>`)
	send("/like")
	waitLine(t, lines, `1 like from other sites:`, 30*time.Second)
	other.set("/repost", `<div class="h-entry"><a class="u-repost-of" href="`+target+`">reposted</a><a class="p-author h-card" href="/">Cy</a></div>`)
	send("/repost")
	waitLine(t, lines, `1 repost on other sites:`, 30*time.Second)
	other.set("/like", "") // 410 Gone: the like is taken back
	send("/like")
	// The event that says the like went: the reposts remain, the likes do not.
	deadline := time.After(30 * time.Second)
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			done = strings.Contains(l, `id="elsewhere-counts"`) && strings.Contains(l, "1 repost on other sites:") &&
				!strings.Contains(l, "like from other sites")
		case <-deadline:
			t.Fatal("the like's removal did not reach the other instance's stream within 30 s")
		}
	}
	_, body := get(t, baseB+"/posts/hello-world")
	if !strings.Contains(body, "1 repost on other sites:") || strings.Contains(body, "like from other sites") ||
		!strings.Contains(body, ">Cy</a>") {
		t.Errorf("the other instance's page does not show what its stream said")
	}
	// A page that fell too far behind reloads its list, which carries the counts too.
	if _, fresh := get(t, baseB+"/posts/hello-world/comments/fresh?min=0"); !strings.Contains(fresh, `id="elsewhere-counts"`) ||
		!strings.Contains(fresh, "1 repost on other sites:") || strings.Contains(fresh, "like from other sites") {
		t.Errorf("the reloaded list lacks the likes and reposts as they are")
	}
}
