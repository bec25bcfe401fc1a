package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"blog/handlers"
	"blog/internal/dbtest"
	"blog/moderation"
)

type sseEvent struct {
	name, id, data string
	comment        bool // a ": ..." comment line (heartbeat)
}

type sseClient struct {
	resp   *http.Response
	events chan sseEvent
	cancel context.CancelFunc
}

// connectSSE opens an event stream and parses its events in the background.
func connectSSE(t *testing.T, url string, header http.Header) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("connect %s: %v", url, err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("connect %s: status %d, type %q", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{resp: resp, events: make(chan sseEvent, 1024), cancel: cancel}
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" || len(data) > 0 {
					ev.data = strings.Join(data, "\n")
					c.events <- ev
				}
				ev, data = sseEvent{}, nil
			case strings.HasPrefix(line, ":"):
				c.events <- sseEvent{comment: true, data: line}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[6:])
			case strings.HasPrefix(line, "retry: "):
				c.events <- sseEvent{name: "retry", data: line[7:]}
			}
		}
	}()
	t.Cleanup(c.close)
	return c
}

func (c *sseClient) close() { c.cancel(); c.resp.Body.Close() }

// commentOf returns the id of the comment a change event carries.
func commentOf(t testing.TB, ev sseEvent) int64 {
	t.Helper()
	v, ok := doc(t, ev.data).Find("[data-comment-id]").Attr("data-comment-id")
	var id int64
	if _, err := fmt.Sscanf(v, "%d", &id); !ok || err != nil {
		t.Fatalf("event without a comment: %q", ev.data)
	}
	return id
}

// seq returns where the post's change feed stands.
func (a *testApp) seq(t testing.TB) int64 {
	t.Helper()
	st, err := a.store.PostStamp(context.Background(), a.postID(t, a.slug))
	if err != nil {
		t.Fatal(err)
	}
	return st.Seq
}

// nextComment waits for the next change event, skipping heartbeats and the retry hint.
func (c *sseClient) nextComment(t *testing.T) sseEvent {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatal("stream ended while waiting for a comment")
			}
			if ev.name == "change" {
				return ev
			}
		case <-timeout:
			t.Fatal("no comment event within 10s")
		}
	}
}

// nextIs checks that the next change event carries comment want. After a marker comment posted last, it proves
// that nothing else (a duplicate, a change a reader must not get) was sent: a stream sends changes in the feed's
// order, so anything the marker came after would have arrived first. No fixed wait needed.
func (c *sseClient) nextIs(t *testing.T, want int64) {
	t.Helper()
	ev := c.nextComment(t)
	if got := commentOf(t, ev); got != want {
		t.Fatalf("event id=%s carries comment %d, want the marker %d: an unexpected event came first", ev.id, got, want)
	}
}

func (a *testApp) mustPost(t testing.TB, body string) int64 {
	t.Helper()
	resp, _ := a.postComment(t, a.slug, form("Reader", "reader@example.com", body), false)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("post status = %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	var id int64
	fmt.Sscanf(loc[strings.LastIndex(loc, "-")+1:], "%d", &id)
	return id
}

func TestStreamTwoSubscribersReceiveNewComment(t *testing.T) {
	a := newTestApp(t)
	base := a.serve(t)
	url := base + "/posts/" + a.slug + "/events?after=0"
	s1, s2 := connectSSE(t, url, nil), connectSSE(t, url, nil)
	waitStreams(t, a, 2)
	id := a.mustPost(t, "hello <everyone>")
	for i, s := range []*sseClient{s1, s2} {
		ev := s.nextComment(t)
		if commentOf(t, ev) != id || ev.id != fmt.Sprint(a.seq(t)) {
			t.Fatalf("subscriber %d: event id %s for comment %d, want comment %d at the feed's sequence", i+1, ev.id, commentOf(t, ev), id)
		}
		d := doc(t, ev.data)
		if !strings.Contains(d.Find(`[data-testid="CommentBody"]`).Text(), "hello <everyone>") {
			t.Fatalf("subscriber %d: payload lacks the comment: %s", i+1, ev.data)
		}
		if strings.TrimSpace(d.Find(`#comment-count[hx-swap-oob]`).Text()) != "1 comment" {
			t.Fatalf("subscriber %d: payload lacks the count: %s", i+1, ev.data)
		}
	}
	marker := a.mustPost(t, "marker")
	s1.nextIs(t, marker)
	s2.nextIs(t, marker)
}

func waitStreams(t *testing.T, a *testApp, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for a.broker.Streams() != n {
		if time.Now().After(deadline) {
			t.Fatalf("open streams = %d, want %d", a.broker.Streams(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStreamReconnectGetsExactlyWhatWasMissed(t *testing.T) {
	// A short heartbeat makes the server notice the closed stream quickly.
	a := newTestApp(t, func(c *handlers.Config) { c.Heartbeat = 50 * time.Millisecond })
	base := a.serve(t)
	url := base + "/posts/" + a.slug + "/events"
	s := connectSSE(t, url+"?after=0", nil)
	waitStreams(t, a, 1)
	first := a.mustPost(t, "one")
	ev := s.nextComment(t)
	if commentOf(t, ev) != first {
		t.Fatalf("comment = %d, want %d", commentOf(t, ev), first)
	}
	s.close()
	waitStreams(t, a, 0)
	missed := []int64{a.mustPost(t, "two"), a.mustPost(t, "three")}

	// The browser's own reconnect sends Last-Event-ID; the page's after= may be older (it was rendered earlier).
	r := connectSSE(t, url+"?after=0", http.Header{"Last-Event-Id": {ev.id}})
	for _, want := range missed {
		if ev := r.nextComment(t); commentOf(t, ev) != want {
			t.Fatalf("catch-up comment = %d, want %d", commentOf(t, ev), want)
		}
	}
	waitStreams(t, a, 1)
	r.nextIs(t, a.mustPost(t, "four")) // and nothing twice before it
}

func TestStreamCatchesUpFromPageRender(t *testing.T) {
	a := newTestApp(t)
	base := a.serve(t)
	a.mustPost(t, "rendered with the page")
	rendered := a.seq(t)
	between := a.mustPost(t, "posted between render and connect")
	s := connectSSE(t, fmt.Sprintf("%s/posts/%s/events?after=%d", base, a.slug, rendered), nil)
	if ev := s.nextComment(t); commentOf(t, ev) != between {
		t.Fatalf("comment = %d, want %d", commentOf(t, ev), between)
	}
	s.nextIs(t, a.mustPost(t, "marker"))
}

func TestStreamHeartbeatAndRetryHint(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.Heartbeat = 50 * time.Millisecond })
	base := a.serve(t)
	s := connectSSE(t, base+"/posts/"+a.slug+"/events?after=0", nil)
	if s.resp.Header.Get("Cache-Control") != "no-cache" || s.resp.Header.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("headers: %v", s.resp.Header)
	}
	var sawRetry, sawPing bool
	timeout := time.After(30 * time.Second)
	for !sawRetry || !sawPing {
		select {
		case ev := <-s.events:
			sawRetry = sawRetry || ev.name == "retry"
			sawPing = sawPing || (ev.comment && ev.data == ": ping")
		case <-timeout:
			t.Fatalf("retry hint %v, heartbeat %v", sawRetry, sawPing)
		}
	}
}

// A reader that never reads must not delay the others: it is dropped once its queue is full.
func TestStreamStuckReaderDoesNotBlockOthers(t *testing.T) {
	a := newTestApp(t)
	base := a.serve(t)
	addr := strings.TrimPrefix(base, "http://")
	dialer := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
	}}
	stuck, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	fmt.Fprintf(stuck, "GET /posts/%s/events?after=0 HTTP/1.1\r\nHost: x\r\n\r\n", a.slug)
	reader := connectSSE(t, base+"/posts/"+a.slug+"/events?after=0", nil)
	waitStreams(t, a, 2)

	const n = 250
	big := strings.Repeat("All work and no play. ", 150)
	done := make(chan []int64)
	go func() {
		var ids []int64
		for range n {
			ids = append(ids, a.mustPost(t, big))
		}
		done <- ids
	}()
	var got []int64
	for range n {
		got = append(got, commentOf(t, reader.nextComment(t)))
	}
	ids := <-done
	for i := range ids {
		if got[i] != ids[i] {
			t.Fatalf("reader event %d carries comment %d, want %d", i, got[i], ids[i])
		}
	}
	// Whether the stuck stream is dropped here depends on how much the kernel buffers for it; live's own tests
	// prove a full queue drops the subscriber.
}

func TestShutdownClosesOpenStreamsPromptly(t *testing.T) {
	a := newTestApp(t)
	base := a.serve(t)
	var streams []*sseClient
	for range 3 {
		streams = append(streams, connectSSE(t, base+"/posts/"+a.slug+"/events?after=0", nil))
	}
	waitStreams(t, a, 3)
	start := time.Now()
	close(a.done)
	if err := a.app.ShutdownWithTimeout(10 * time.Second); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("shutdown took %v with open streams", took)
	}
	for i, s := range streams {
		select {
		case _, ok := <-drain(s.events):
			if ok {
				t.Fatalf("stream %d still open", i)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("stream %d did not end", i)
		}
	}
}

// drain discards buffered events and reports when the stream ends.
func drain(events chan sseEvent) chan sseEvent {
	out := make(chan sseEvent)
	go func() {
		for range events {
		}
		close(out)
	}()
	return out
}

func TestTwoInstancesSharePostgresUpdates(t *testing.T) {
	url := dbtest.MigratedPostgresURL(t)
	instA := newTestAppOn(t, dbtest.Open(t, url, true))
	instB := newTestAppOn(t, dbtest.Open(t, url, false))
	baseB := instB.serve(t)
	s := connectSSE(t, baseB+"/posts/"+instB.slug+"/events?after=0", nil)
	waitStreams(t, instB, 1)
	id := instA.mustPost(t, "posted on A")
	ev := s.nextComment(t)
	if commentOf(t, ev) != id || !strings.Contains(ev.data, "posted on A") {
		t.Fatalf("B received %q, want comment %d", ev.data, id)
	}

	// The listener reconnects after its connection is killed and delivers what was committed meanwhile.
	admin := dbtest.Open(t, url, false)
	if _, err := admin.SQL().Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	missed := instA.mustPost(t, "posted while B's listener was down")
	ev = s.nextComment(t)
	if commentOf(t, ev) != missed {
		t.Fatalf("after listener restart B received comment %d, want %d", commentOf(t, ev), missed)
	}
	s.nextIs(t, instA.mustPost(t, "marker"))
}

// When an instance shuts down, its streams end; a browser reconnecting to another instance (with Last-Event-ID)
// gets what was posted in between, exactly once.
func TestReconnectToAnotherInstanceLosesNothing(t *testing.T) {
	url := dbtest.MigratedPostgresURL(t)
	instA := newTestAppOn(t, dbtest.Open(t, url, true))
	instB := newTestAppOn(t, dbtest.Open(t, url, false))
	baseA, baseB := instA.serve(t), instB.serve(t)
	s := connectSSE(t, baseA+"/posts/"+instA.slug+"/events?after=0", nil)
	waitStreams(t, instA, 1)
	first := instA.mustPost(t, "before the shutdown")
	firstEv := s.nextComment(t)
	if commentOf(t, firstEv) != first {
		t.Fatalf("comment %d, want %d", commentOf(t, firstEv), first)
	}
	close(instA.done)
	instA.app.ShutdownWithTimeout(5 * time.Second)
	for range s.events {
		// the stream ends with the instance
	}
	during := instB.mustPost(t, "while the reader was reconnecting")
	r := connectSSE(t, baseB+"/posts/"+instB.slug+"/events?after=0", http.Header{"Last-Event-Id": {firstEv.id}})
	if ev := r.nextComment(t); commentOf(t, ev) != during {
		t.Fatalf("after reconnecting: comment %d, want %d", commentOf(t, ev), during)
	}
	waitStreams(t, instB, 1)
	r.nextIs(t, instB.mustPost(t, "after the reconnect")) // and nothing twice before it
}

// TestStreamCarriesModeration checks that the stream delivers changes, not just new comments: a deleted comment
// leaves (its element and the count), an approved one arrives, and a restored one comes back, each once, in
// order, also to a reader who reconnects in between.
func TestStreamCarriesModeration(t *testing.T) {
	a := newTestApp(t, func(c *handlers.Config) { c.Heartbeat = 50 * time.Millisecond })
	base := a.serve(t)
	s := connectSSE(t, base+"/posts/"+a.slug+"/events?after=0", nil)
	waitStreams(t, a, 1)
	id := a.mustPost(t, "to be removed")
	s.nextComment(t)
	o := a.owner(t)
	o.post(t, "/admin/comments", neturl.Values{"action": {"delete"}, "id": {itoa(id)}}, false)
	ev := s.nextComment(t)
	d := doc(t, ev.data)
	if gone, _ := d.Find(`[data-comment-id="` + itoa(id) + `"]`).Attr("data-gone"); gone != "deleted" || strings.Contains(ev.data, "to be removed") {
		t.Fatalf("deletion event: %q", ev.data)
	}
	if c := strings.TrimSpace(d.Find(`#comment-count`).Text()); c != "No comments yet" {
		t.Fatalf("count after deletion: %q", c)
	}
	page := a.page(t, "/posts/"+a.slug)
	if strings.Contains(page, "to be removed") {
		t.Fatal("the page still shows a comment whose removal was delivered")
	}
	// A held comment arrives when approved.
	a.mod.Mode = moderation.ModeAll
	held := a.mustPost(t, "held, then approved")
	if ev := s.nextComment(t); !strings.Contains(ev.data, `data-gone="held"`) {
		t.Fatalf("a held comment's event must not carry it: %q", ev.data)
	}
	s.nextIs(t, a.mustPost(t, "marker, held too"))
	s.close()
	waitStreams(t, a, 0)
	o.post(t, "/admin/comments", neturl.Values{"action": {"approve"}, "id": {itoa(held)}}, false)
	o.post(t, "/admin/comments", neturl.Values{"action": {"restore"}, "id": {itoa(id)}}, false)
	r := connectSSE(t, fmt.Sprintf("%s/posts/%s/events?after=%d", base, a.slug, a.seq(t)-2), nil)
	for _, want := range []struct {
		id   int64
		text string
	}{{held, "held, then approved"}, {id, "to be removed"}} {
		ev := r.nextComment(t)
		if commentOf(t, ev) != want.id || !strings.Contains(ev.data, want.text) || strings.Contains(ev.data, "data-gone") {
			t.Fatalf("catch-up event: %q, want comment %d shown", ev.data, want.id)
		}
	}
	r.nextIs(t, a.mustPost(t, "marker"))
}

// TestDeletionOnOneInstanceReachesAnother deletes a comment through instance A's console; instance B's stream
// delivers the removal, and B's rendered page no longer shows the comment.
func TestDeletionOnOneInstanceReachesAnother(t *testing.T) {
	url := dbtest.MigratedPostgresURL(t)
	instA := newTestAppOn(t, dbtest.Open(t, url, true))
	instB := newTestAppOn(t, dbtest.Open(t, url, false))
	baseB := instB.serve(t)
	id := instA.mustPost(t, "posted, then deleted")
	// B renders (and caches) the page with the comment, and a reader there is watching.
	if page := instB.page(t, "/posts/"+instB.slug); !strings.Contains(page, "posted, then deleted") {
		t.Fatal("B's page lacks the comment")
	}
	s := connectSSE(t, fmt.Sprintf("%s/posts/%s/events?after=%d", baseB, instB.slug, instB.seq(t)), nil)
	waitStreams(t, instB, 1)
	o := instA.owner(t)
	o.post(t, "/admin/comments", neturl.Values{"action": {"delete"}, "id": {itoa(id)}}, false)
	ev := s.nextComment(t)
	if commentOf(t, ev) != id || !strings.Contains(ev.data, `data-gone="deleted"`) {
		t.Fatalf("B's stream: %q", ev.data)
	}
	if page := instB.page(t, "/posts/"+instB.slug); strings.Contains(page, "posted, then deleted") {
		t.Fatal("B's page still shows the comment after B delivered its removal")
	}
}
