package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"blog/internal/dbtest"
	"blog/repo/discussion"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// eventCounter is an event-stream client that behaves like the page script: when the stream ends it reconnects
// with Last-Event-ID (the feed sequence of the last event), and when told to resync it reloads the list (and
// pages back through older comments to the ones it has). It counts how often each comment arrives in an event,
// and which comments it has seen at all.
type eventCounter struct {
	mu         sync.Mutex
	seen       map[int64]int // comment id -> events that carried it
	listed     map[int64]bool
	last       int64 // feed sequence
	reconnects int
	resyncs    int
	conn       net.Conn
	closed     atomic.Bool
	done       chan struct{}
	// open is closed when the first stream has answered: the server subscribes it before it answers.
	open     chan struct{}
	openOnce sync.Once
}

var commentIDAttr = regexp.MustCompile(`data-comment-id="(\d+)"`)

func openCounter(t *testing.T, base, slug string) *eventCounter {
	t.Helper()
	ec := &eventCounter{seen: map[int64]int{}, listed: map[int64]bool{}, done: make(chan struct{}), open: make(chan struct{})}
	go func() {
		defer close(ec.done)
		for !ec.closed.Load() {
			conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			ec.mu.Lock()
			ec.conn = conn
			fmt.Fprintf(conn, "GET /posts/%s/events?after=0 HTTP/1.1\r\nHost: test\r\nLast-Event-ID: %d\r\n\r\n", slug, ec.last)
			ec.mu.Unlock()
			r := bufio.NewReader(conn)
			var event string
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					break
				}
				switch {
				case strings.HasPrefix(line, "HTTP/1.1 200 "):
					ec.openOnce.Do(func() { close(ec.open) })
				case strings.HasPrefix(line, "event: "):
					event = strings.TrimSpace(line[7:])
				case strings.HasPrefix(line, "id: "):
					n, _ := strconv.ParseInt(strings.TrimSpace(line[4:]), 10, 64)
					ec.mu.Lock()
					ec.last = n
					ec.mu.Unlock()
					if event == "resync" {
						ec.resync(base, slug)
					}
				case strings.HasPrefix(line, "data: ") && event == "change":
					if m := commentIDAttr.FindStringSubmatch(line); m != nil {
						n, _ := strconv.ParseInt(m[1], 10, 64)
						ec.mu.Lock()
						ec.seen[n]++
						ec.mu.Unlock()
					}
				}
			}
			conn.Close()
			ec.mu.Lock()
			ec.reconnects++
			ec.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ec.closed.Store(true)
		ec.mu.Lock()
		if ec.conn != nil {
			ec.conn.Close()
		}
		ec.mu.Unlock()
		<-ec.done
	})
	return ec
}

// resync reloads the list as the page script does, paging back until it meets a comment it already has.
func (ec *eventCounter) resync(base, slug string) {
	ec.mu.Lock()
	ec.resyncs++
	min := ec.last
	ec.mu.Unlock()
	u := fmt.Sprintf("%s/posts/%s/comments/fresh?min=%d", base, slug, min)
	for u != "" {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("HX-Request", "true")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		b := new(strings.Builder)
		bufio.NewReader(resp.Body).WriteTo(b)
		resp.Body.Close()
		known := false
		ec.mu.Lock()
		var oldest int64
		for _, m := range commentIDAttr.FindAllStringSubmatch(b.String(), -1) {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			known = known || ec.seen[n] > 0 || ec.listed[n]
			ec.listed[n] = true
			oldest = n
		}
		ec.mu.Unlock()
		u = ""
		if !known && oldest > 0 {
			u = fmt.Sprintf("%s/posts/%s/comments?before=%d", base, slug, oldest)
		}
	}
}

// waitOpen waits until the counter's stream is open (subscribed).
func (ec *eventCounter) waitOpen(t *testing.T) {
	t.Helper()
	select {
	case <-ec.open:
	case <-time.After(20 * time.Second):
		t.Fatal("the event stream did not open within 20 s")
	}
}

// has reports whether the counter has a comment, from an event or from a reloaded list.
func (ec *eventCounter) has(id int64) bool {
	ec.mu.Lock()
	defer ec.mu.Unlock()
	return ec.seen[id] > 0 || ec.listed[id]
}

// count returns how many distinct comments the counter has, from events or from reloaded lists.
func (ec *eventCounter) count() int {
	ec.mu.Lock()
	defer ec.mu.Unlock()
	n := len(ec.seen)
	for id := range ec.listed {
		if ec.seen[id] == 0 {
			n++
		}
	}
	return n
}

// loadResult is what a load run saw from the clients' side.
type loadResult struct {
	accepted map[int64]string // comment id -> slug
	statuses map[int]int
	latency  []time.Duration // of answered posts
}

// percentiles formats the p50 and p99 of the answered posts' latency.
func (r loadResult) percentiles() string {
	l := slices.Clone(r.latency)
	slices.Sort(l)
	if len(l) == 0 {
		return "no answers"
	}
	return fmt.Sprintf("p50 %v, p99 %v", l[len(l)/2].Round(time.Microsecond), l[len(l)*99/100].Round(time.Microsecond))
}

// postLoad has clients post total comments across slugs as fast as they can. Plain posts (303 with the new id)
// and htmx posts (200) alternate; an htmx post's id is found afterwards by its unique text.
func postLoad(t *testing.T, base string, slugs []string, clients, total int, stop <-chan struct{}) loadResult {
	t.Helper()
	var next atomic.Int64
	var mu sync.Mutex
	res := loadResult{accepted: map[int64]string{}, statuses: map[int]int{}}
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := newVisitor(t)
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
				slug := slugs[i%len(slugs)]
				if v.stamp == "" { // the page once, for the form timestamp (the public pages carry no token)
					if code, _ := v.tryGet(base + "/posts/" + slug); code != 200 {
						mu.Lock()
						res.statuses[-1]++
						mu.Unlock()
						continue
					}
				}
				f := url.Values{"username": {fmt.Sprintf("Load %d", w)}, "email": {fmt.Sprintf("load%d@example.com", w)},
					"body": {fmt.Sprintf("load comment %d", i)}, "_csrf": {v.token}, "_t": {v.stamp}}
				start := time.Now()
				resp, err := v.client.PostForm(base+"/posts/"+slug+"/comments", f)
				took := time.Since(start)
				mu.Lock()
				if err != nil {
					res.statuses[-1]++ // no answer (connection refused or reset)
					mu.Unlock()
					continue
				}
				resp.Body.Close()
				res.latency = append(res.latency, took)
				res.statuses[resp.StatusCode]++
				if resp.StatusCode == http.StatusSeeOther {
					loc := resp.Header.Get("Location")
					id, _ := strconv.ParseInt(loc[strings.LastIndex(loc, "-")+1:], 10, 64)
					res.accepted[id] = slug
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return res
}

// tryGet is get without failing the test: the server may be down during a crash test.
func (v *visitor) tryGet(u string) (int, error) {
	resp, err := v.client.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b := new(strings.Builder)
	bufio.NewReader(resp.Body).WriteTo(b)
	if i := strings.Index(b.String(), `name="csrf-token" content="`); i >= 0 {
		rest := b.String()[i+len(`name="csrf-token" content="`):]
		v.token = rest[:strings.IndexByte(rest, '"')]
	}
	if m := stampField.FindStringSubmatch(b.String()); m != nil {
		v.stamp = m[1]
	}
	return resp.StatusCode, nil
}

// TestLoad has 64 clients (all from 127.0.0.1, so the per-address connection limit is raised) post 10,000 comments across three posts while streams are open: every accepted comment
// is stored once, nothing gets a 5xx, counts match, and every stream sees every comment of its post once.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped with -short")
	}
	for name, mk := range map[string]func(testing.TB) string{"sqlite": dbtest.SQLiteURL, "postgres": dbtest.PostgresURL} {
		t.Run(name, func(t *testing.T) {
			dbURL := mk(t)
			base, _ := startServer(t, map[string]string{"DATABASE_URL": dbURL, "RATE_LIMIT": "off", "MAX_CONNS_PER_CLIENT": "10000"})
			slugs := []string{"hello-world", "writing-posts", "live-comments"}
			streams := map[string][]*eventCounter{}
			for _, s := range slugs {
				streams[s] = []*eventCounter{openCounter(t, base, s), openCounter(t, base, s)}
			}
			for _, s := range slugs {
				for _, ec := range streams[s] {
					ec.waitOpen(t)
				}
			}
			// Enough for 64 clients to contend for the database in every round; throughput is cmd/bench's.
			total := 4_000
			start := time.Now()
			res := postLoad(t, base, slugs, 64, total, nil)
			elapsed := time.Since(start)
			t.Logf("%s: %d comments in %v (%.0f/s), %s, statuses %v", name, total, elapsed.Round(time.Millisecond),
				float64(total)/elapsed.Seconds(), res.percentiles(), res.statuses)
			for code, n := range res.statuses {
				if code != http.StatusSeeOther {
					t.Errorf("%d posts answered %d", n, code)
				}
			}
			db := dbtest.Open(t, dbURL, false)
			ctx := context.Background()
			stored, err := db.Repo().Count(ctx, "comments")
			if err != nil || stored != len(res.accepted) || stored != total {
				t.Fatalf("stored %d (%v), accepted %d, posted %d", stored, err, len(res.accepted), total)
			}
			stamps, _ := discussion.NewComments(db).PostStamps(ctx)
			v := newVisitor(t)
			for _, s := range slugs {
				want := 0
				for _, slug := range res.accepted {
					if slug == s {
						want++
					}
				}
				sum := 0
				for _, st := range stamps {
					sum += st.Count
				}
				if sum != total {
					t.Errorf("counts by post add up to %d", sum)
				}
				for _, ec := range streams[s] {
					// On a busy machine the streams may trail the posts by a while: wait as long as they move.
					last, stalled := ec.count(), time.Now()
					for ec.count() < want && time.Since(stalled) < 60*time.Second {
						time.Sleep(20 * time.Millisecond)
						if n := ec.count(); n != last {
							last, stalled = n, time.Now()
						}
					}
					if n := ec.count(); n != want {
						t.Errorf("%s: stream has %d distinct comments, want %d", s, n, want)
					}
					ec.mu.Lock()
					for id, slug := range res.accepted {
						if slug == s && (ec.seen[id] > 1 || (ec.seen[id] == 0 && !ec.listed[id])) {
							t.Errorf("%s: comment %d arrived in %d events (listed after a resync: %v)", s, id, ec.seen[id], ec.listed[id])
							break
						}
					}
					t.Logf("%s: stream reconnected %d times, resynced %d times", s, ec.reconnects, ec.resyncs)
					ec.mu.Unlock()
				}
				// The page's list is kept by the same broker that fed the streams: it has every comment now.
				_, page := v.get(t, base+"/posts/"+s)
				// Counts are written in the blog's language's own way: 3,334 in English.
				if label := ">" + message.NewPrinter(language.English).Sprintf("%d", want) + " comments<"; !strings.Contains(page, label) {
					t.Errorf("%s: page does not say %q", s, label)
				}
			}
		})
	}
}
