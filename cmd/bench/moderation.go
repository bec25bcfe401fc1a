package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"blog/cmd/bench/harness"
)

// measureModeration opens n streams on a post with comments and has the owner delete comments one by one
// through the console, measuring when each removal reaches every stream.
func measureModeration(s *harness.Server, binary, slug string, n int) ([]harness.Row, error) {
	o, err := harness.SignInOwner(s, binary)
	if err != nil {
		return nil, err
	}
	resp, err := harness.Client.Get(s.Base + "/posts/" + slug)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	var ids []int64
	for _, m := range harness.CommentID.FindAllStringSubmatch(page, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
	}
	const k = 10
	if len(ids) < k {
		return nil, fmt.Errorf("post %s has %d comments, want %d to delete", slug, len(ids), k)
	}
	ss, err := openStreams(s.Base, "/posts/"+slug+"/events", n)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	time.Sleep(time.Duration(n/1000+1) * 500 * time.Millisecond) // let every stream subscribe
	var acts []sent
	for _, id := range ids[:k] {
		t := time.Now()
		resp, err := o.HTTP.PostForm(s.Base+"/admin/comments", url.Values{"one": {"delete:" + strconv.FormatInt(id, 10)}, "_csrf": {o.Token}})
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return nil, fmt.Errorf("delete %d: status %d", id, resp.StatusCode)
		}
		acts = append(acts, sent{id: id, start: t, resp: time.Now()})
		time.Sleep(100 * time.Millisecond)
	}
	want := int64(n * k)
	deadline := time.Now().Add(60 * time.Second)
	for ss.removed.Load() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ss.mu.Lock()
	var fromResp, fromStart []time.Duration
	for _, a := range acts {
		for _, at := range ss.removals[a.id] {
			fromResp = append(fromResp, max(0, at.Sub(a.resp)))
			fromStart = append(fromStart, at.Sub(a.start))
		}
	}
	ss.mu.Unlock()
	slices.Sort(fromResp)
	slices.Sort(fromStart)
	label := fmt.Sprintf("%d open streams", n)
	return []harness.Row{
		{Name: "removal after a moderation action's response, " + label, Value: float64(len(fromResp)), Unit: "deliveries",
			P50ms: harness.Percentile(fromResp, .5), P99ms: harness.Percentile(fromResp, .99),
			Note: fmt.Sprintf("%d deletions through the console x %d streams; %d missing", k, n, want-int64(len(fromResp)))},
		{Name: "removal after a moderation action was sent, " + label, Value: float64(len(fromStart)), Unit: "deliveries",
			P50ms: harness.Percentile(fromStart, .5), P99ms: harness.Percentile(fromStart, .99), Note: "includes the action itself"},
	}, nil
}

// compareBinaries measures the same pages on two builds of the blog in one run, in alternating rounds: the
// current binary against an earlier one (-before), both with identical content and comments.
func compareBinaries(ctx context.Context, before, current string, dur time.Duration) ([]harness.Row, error) {
	var servers []*harness.Server
	for _, bin := range []string{before, current} {
		dir, err := os.MkdirTemp("", "blog-bench-compare-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
			return nil, err
		}
		s, err := harness.StartServer(ctx, bin, dir)
		if err != nil {
			return nil, err
		}
		defer s.Stop()
		if err := harness.Seed(ctx, s, map[string]int{"hundred": 100, "thousand": 1000}); err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}
	var rows []harness.Row
	for _, p := range []struct{ name, path string }{
		{"post page GET (100 comments)", "/posts/hundred"},
		{"post page GET (1,000 comments)", "/posts/thousand"},
		{"home page GET", "/"},
	} {
		const rounds = 4
		var rps [2]float64
		for _, s := range servers {
			harness.BrowserGET(s.Base + p.path)
		}
		for range rounds {
			for i, s := range servers {
				r, _, _ := harness.Hammer(8, dur/rounds, func(int, int) error { return harness.BrowserGET(s.Base + p.path) })
				rps[i] += r / rounds
			}
		}
		rows = append(rows, harness.Row{Name: p.name + ": this build vs -before", Value: rps[1], Unit: "req/s", Control: rps[0],
			Ratio: rps[1] / rps[0], Note: "8 clients; control = the -before binary, same content, alternating rounds"})
	}
	return rows, nil
}
