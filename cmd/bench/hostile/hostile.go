// Package hostile holds what the benchmark measures under attack: anonymous GETs over comments written to cost the
// server the most and over a 3,000-reply conversation (hostile.go), and what one address can hold, what slow
// uploads cost and what an exhaustion attempt does to another reader (abuse.go). Each scenario runs a server of
// its own.
package hostile

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"blog/cmd/bench/harness"
)

// hostileBodies are comments of at most 5,000 characters written to cost the server the most to render and to
// show: nesting, emphasis and brackets that goldmark works hard on, text that escapes to several times its size,
// many links.
var hostileBodies = []string{
	strings.Repeat(">", 4999) + "x",
	strings.Repeat("- ", 2499) + "x",
	strings.Repeat("1. ", 1666) + "x",
	strings.Repeat(">>>>>>>>a\n>\n", 400),
	strings.Repeat("a* ", 1666),
	strings.Repeat("` ", 2499),
	strings.Repeat("[", 4999),
	strings.Repeat("&\"<", 1666),
	strings.Repeat("[a](https://example.com/a) ", 185),
	strings.Repeat("*a*_b_", 833),
}

// MeasureComments runs a server of its own with 400 hostile comments on two posts (a tenth of them replies to the
// first comment, so that conversation pages its replies) and a conversation of 3,000 replies on a third, then
// measures, one client at a time, every kind of anonymous GET a reader can make (with ids that defeat the
// caches where a reader may choose them), the cost of a new reply to the long conversation against one to a
// short one, page sizes, and the server's memory.
func MeasureComments(ctx context.Context, binary string) ([]harness.Row, error) {
	dir, err := os.MkdirTemp("", "blog-bench-hostile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	for i, slug := range []string{"hostile-a", "hostile-b", "thread", "short"} {
		src := fmt.Sprintf("---\ntitle: Post %s\ndate: 2026-10-%02d\nsummary: A post for the hostile figures.\n---\n\nA short post.\n", slug, i+1)
		if err := os.WriteFile(filepath.Join(dir, "content", "posts", fmt.Sprintf("2026-10-%02d-%s.md", i+1, slug)), []byte(src), 0o644); err != nil {
			return nil, err
		}
	}
	srv, err := harness.StartServer(ctx, binary, dir)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	v, err := harness.NewVisitor(srv.Base)
	if err != nil {
		return nil, err
	}
	// 400 hostile comments, 200 on each post.
	firsts := map[string]int64{}
	for _, slug := range []string{"hostile-a", "hostile-b"} {
		for i := range 200 {
			body := hostileBodies[i%len(hostileBodies)]
			if i > 0 && i%10 == 0 {
				if err := v.Reply(srv.Base, slug, firsts[slug], body); err != nil {
					return nil, err
				}
				continue
			}
			id, err := v.PostComment(srv.Base, slug, fmt.Sprintf("Hostile%d", i%13), body, false)
			if err != nil {
				return nil, fmt.Errorf("hostile comment %d: %w", i, err)
			}
			if i == 0 {
				firsts[slug] = id
			}
		}
	}
	// A conversation of 3,000 replies, and a short one to compare a new reply with.
	top, err := v.PostComment(srv.Base, "thread", "Asker", "A question that gets a great many answers.", false)
	if err != nil {
		return nil, err
	}
	short, err := v.PostComment(srv.Base, "short", "Asker", "A question that gets a few answers.", false)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var replyIDs []int64
	var failed error
	var wg sync.WaitGroup
	for w := range 8 {
		wv, err := harness.NewVisitor(srv.Base)
		if err != nil {
			return nil, err
		}
		wg.Go(func() {
			for i := range 375 {
				id, err := wv.PostReply(srv.Base, "thread", top, harness.RealisticComment(w*375+i))
				mu.Lock()
				replyIDs = append(replyIDs, id)
				if err != nil && failed == nil {
					failed = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failed != nil {
		return nil, fmt.Errorf("replies of the long conversation: %w", failed)
	}
	slices.Sort(replyIDs)
	var rows []harness.Row
	pid := srv.Cmd.Process.Pid
	seq := func(slug string) int64 {
		resp, err := harness.Client.Get(srv.Base + "/posts/" + slug)
		if err != nil {
			return 0
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`events\?after=(\d+)`).FindSubmatch(b)
		if m == nil {
			return 0
		}
		n, _ := strconv.ParseInt(string(m[1]), 10, 64)
		return n
	}
	maxID := replyIDs[len(replyIDs)-1]
	rnd := rand.New(rand.NewPCG(1, 2))
	gets := []struct {
		name string
		url  func(i int) string
		htmx bool
	}{
		{"post page, 200 hostile comments", func(int) string { return "/posts/hostile-a" }, false},
		{"reloaded list (fresh?min=huge)", func(int) string { return "/posts/hostile-a/comments/fresh?min=999999999" }, false},
		{"older conversations, any before=", func(int) string {
			return "/posts/hostile-b/comments?before=" + strconv.FormatInt(rnd.Int64N(maxID)+1, 10)
		}, true},
		{"more replies of a hostile conversation", func(int) string {
			return "/posts/hostile-a/comments/" + strconv.FormatInt(firsts["hostile-a"], 10) + "/replies?after=0"
		}, true},
		{"more replies, 3,000-reply conversation, any after=", func(int) string {
			return "/posts/thread/comments/" + strconv.FormatInt(top, 10) + "/replies?after=" +
				strconv.FormatInt(replyIDs[rnd.IntN(len(replyIDs))], 10)
		}, true},
		{"3,000-reply conversation's page", func(int) string { return "/posts/thread" }, false},
		{"comments feed of the blog", func(int) string { return "/comments.xml" }, false},
		{"comments feed of a hostile post", func(int) string { return "/posts/hostile-a/comments.xml" }, false},
	}
	const each = 300
	for _, g := range gets {
		var lat []time.Duration
		size := 0
		cpu0 := harness.CPUSeconds(pid)
		for i := range each {
			req, _ := http.NewRequest(http.MethodGet, srv.Base+g.url(i), nil)
			harness.BrowserHeaders(req)
			if g.htmx {
				req.Header.Set("HX-Request", "true")
			}
			start := time.Now()
			resp, err := harness.Client.Do(req)
			if err != nil {
				return rows, err
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			lat = append(lat, time.Since(start))
			if resp.StatusCode != 200 {
				return rows, fmt.Errorf("GET %s: %d", g.url(i), resp.StatusCode)
			}
			size = int(n)
		}
		cpu := (harness.CPUSeconds(pid) - cpu0) / each * 1000
		slices.Sort(lat)
		rows = append(rows, harness.Row{Name: "hostile GET: " + g.name, Value: harness.Percentile(lat, 0.99), Unit: "ms p99",
			P50ms: harness.Percentile(lat, 0.5), P99ms: harness.Percentile(lat, 0.99),
			Note: fmt.Sprintf("1 client; server CPU %.2f ms/request (mean of %d); %.1f KiB sent", cpu, each, float64(size)/1024)})
	}
	// A stream that reconnects 200 changes behind and replays them.
	{
		var lat []time.Duration
		cpu0 := harness.CPUSeconds(pid)
		head := seq("hostile-a")
		for range 50 {
			start := time.Now()
			if err := catchUp(srv.Base+"/posts/hostile-a/events?after="+strconv.FormatInt(head-199, 10), head); err != nil {
				return rows, err
			}
			lat = append(lat, time.Since(start))
		}
		cpu := (harness.CPUSeconds(pid) - cpu0) / 50 * 1000
		slices.Sort(lat)
		rows = append(rows, harness.Row{Name: "hostile GET: stream catching up 199 changes", Value: harness.Percentile(lat, 0.99), Unit: "ms p99",
			P50ms: harness.Percentile(lat, 0.5), P99ms: harness.Percentile(lat, 0.99), Note: fmt.Sprintf("server CPU %.2f ms/stream (mean of 50)", cpu)})
	}
	// Raw sizes of the pages.
	for _, p := range []string{"/posts/thread", "/posts/hostile-a"} {
		resp, err := harness.Client.Get(srv.Base + p)
		if err != nil {
			return rows, err
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		rows = append(rows, harness.Row{Name: "page size " + p, Value: float64(n) / 1024, Unit: "KiB", Note: "uncompressed"})
	}
	// What a new reply costs: to the 3,000-reply conversation, against one to a short conversation, in alternating
	// batches, server CPU over each batch (the broker's work included: each plain POST waits for it).
	long, shortCost := []float64{}, []float64{}
	for round := range 6 {
		for _, target := range []struct {
			slug string
			top  int64
			out  *[]float64
		}{{"thread", top, &long}, {"short", short, &shortCost}} {
			cpu0 := harness.CPUSeconds(pid)
			for i := range 50 {
				if _, err := v.PostReply(srv.Base, target.slug, target.top, harness.RealisticComment(round*100+i)); err != nil {
					return rows, err
				}
			}
			*target.out = append(*target.out, (harness.CPUSeconds(pid)-cpu0)/50*1000)
		}
	}
	rows = append(rows, harness.Row{Name: "new reply to a 3,000-reply conversation: server CPU", Value: harness.Median(long), Unit: "ms",
		Control: harness.Median(shortCost), Ratio: harness.Median(long) / max(harness.Median(shortCost), 0.001),
		Note: "per reply, median of 6 batches of 50; control: a reply to a short conversation"})
	rows = append(rows, harness.Row{Name: "RSS with the hostile posts served", Value: harness.RSSMiB(pid), Unit: "MiB"})
	return rows, nil
}

// catchUp opens a stream and reads until the event with id head arrives.
func catchUp(u string, head int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := harness.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	want := "id: " + strconv.FormatInt(head, 10)
	for sc.Scan() {
		if sc.Text() == want {
			return nil
		}
	}
	return fmt.Errorf("stream ended before change %d", head)
}
