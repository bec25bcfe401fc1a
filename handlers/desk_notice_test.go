package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blog/internal/dbtest"
)

// nextNotice waits for the stream's next notice event, passing over changes and heartbeats.
func (c *sseClient) nextNotice(t *testing.T) sseEvent {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatal("stream ended while waiting for a notice")
			}
			if ev.name == "notice" {
				if ev.id != "" {
					t.Fatalf("a notice carries an id (%s): it would move the page's place in the feed", ev.id)
				}
				return ev
			}
		case <-timeout:
			t.Fatal("no notice within 20 s")
		}
	}
}

// TestDeskChangesReachOpenPagesOnEveryInstance runs two instances on one PostgreSQL database. The owner works on
// one; pages open on the other are told: every open post page of a post that appears (with a link to it), the
// pages of a post whose new version is published that it changed, and those of a post taken down that it is.
// Nothing else: a notice for another post's change would come before the marker that follows it.
func TestDeskChangesReachOpenPagesOnEveryInstance(t *testing.T) {
	u := dbtest.MigratedPostgresURL(t)
	one := newTestAppOn(t, dbtest.Open(t, u, true))
	two := newTestAppOn(t, dbtest.Open(t, u, false))
	o := one.owner(t)
	publish := func(path, title, body string) {
		t.Helper()
		if r, out := o.post(t, path+"/publish", deskForm(title, body), false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish %s: %d %s", title, r.StatusCode, out)
		}
	}
	reader := two.newClient()
	waitServed := func(path string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			if r, _ := reader.get(t, path); r.StatusCode == http.StatusOK {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the other instance does not serve %s", path)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	x := newDeskPost(t, o)
	publish(x, "Notice me", "First words.")
	waitServed("/posts/notice-me")
	area := doc(t, reader.page(t, "/posts/notice-me")).Find(`#post-notice[data-testid=PostNoticeArea]`)
	if role, _ := area.Attr("role"); role != "status" || area.AttrOr("sse-swap", "") != "notice" || area.Closest(`[sse-connect]`).Length() != 1 {
		t.Fatal("the post page has no polite notice area inside its stream's element")
	}

	base := two.serve(t)
	onFile := connectSSE(t, base+"/posts/"+two.slug+"/events", nil)
	onX := connectSSE(t, base+"/posts/notice-me/events", nil)
	waitStreams(t, two, 2)

	y := newDeskPost(t, o)
	publish(y, "Fresh <from> the desk", "New words.")
	for name, s := range map[string]*sseClient{"the file's page": onFile, "another desk post's page": onX} {
		d := doc(t, s.nextNotice(t).data)
		link := d.Find(`[data-testid=PostNotice] a[href="/posts/fresh-from-the-desk"]`)
		if !strings.Contains(d.Text(), "New post:") || link.Text() != "Fresh <from> the desk" {
			t.Fatalf("%s is told %q, want the new post named and linked", name, d.Text())
		}
	}

	publish(x, "Notice me", "Second words.")
	d := doc(t, onX.nextNotice(t).data)
	if !strings.Contains(d.Text(), "This post was updated.") || d.Find(`a[href="/posts/notice-me"]`).Length() != 1 ||
		d.Find(`button[data-dismiss-notice][aria-label=Dismiss]`).Length() != 1 {
		t.Fatalf("the changed post's page is told %q", d.Text())
	}

	if r, _ := o.post(t, x+"/unpublish", url.Values{}, false); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("unpublish: %d", r.StatusCode)
	}
	if d := doc(t, onX.nextNotice(t).data); !strings.Contains(d.Text(), "This post was taken down") {
		t.Fatalf("the unpublished post's page is told %q", d.Text())
	}

	// The marker: the file's page was told of nothing between the new post and this one.
	z := newDeskPost(t, o)
	publish(z, "The marker", "Last words.")
	if d := doc(t, onFile.nextNotice(t).data); d.Find(`a[href="/posts/the-marker"]`).Length() != 1 {
		t.Fatalf("the file's page was told %q before the marker", d.Text())
	}
}
