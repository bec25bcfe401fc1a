// Package load holds the benchmark's figures under load: the pages against the control serving the same bytes
// (first visit, revalidation, throughput at 1 and 32 clients), two builds of the blog compared page by page, the
// comment POSTs (and their cost on a post with very many comments against one with few), and the SQLite log
// under a stream of POSTs.
package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"blog/cmd/bench/harness"
)

// MeasurePages measures the pages against the control serving the same bytes, and the revalidation.
func MeasurePages(srv *harness.Server, dur time.Duration, add func(harness.Row)) error {
	for _, r := range firstVisit(srv.Base + "/posts/hundred") {
		add(r)
	}
	pages := []struct{ name, path string }{
		{"home page GET", "/"},
		{"post page GET (0 comments)", "/posts/zero"},
		{"post page GET (100 comments)", "/posts/hundred"},
		{"post page GET (1,000 comments)", "/posts/thousand"},
	}
	captures := map[string]harness.Captured{}
	for _, p := range pages {
		var err error
		if captures[p.path], err = harness.Capture(srv.Base + p.path); err != nil {
			return err
		}
	}
	add(harness.Row{Name: "post page with 100 comments, as sent", Value: float64(len(captures["/posts/hundred"].Body)) / 1024, Unit: "KiB",
		Note: "encoding " + captures["/posts/hundred"].Encoding})
	ctl, err := harness.StartControl(captures, nil)
	if err != nil {
		return err
	}
	defer ctl.Stop()
	for _, p := range pages {
		for _, c := range []int{1, 32} {
			add(comparePage(srv.Base, ctl, p.name, p.path, c, dur))
		}
	}
	add(revalidate(srv.Base + "/posts/hundred"))
	return nil
}

// comparePage measures a page of the blog against the control serving its bytes, at the given concurrency, in
// alternating rounds (control, blog, control, blog, ...) so that drift in the machine's load touches both; it
// reports the medians of the rounds and the median of the per-round ratios.
func comparePage(blogBase string, ctl *harness.Control, name, path string, clients int, dur time.Duration) harness.Row {
	const rounds = 6
	harness.BrowserGET(blogBase + path)
	harness.BrowserGET(ctl.Base + path)
	var blogRPS, ctlRPS, ratios []float64
	var lat []time.Duration
	errs := 0
	for range rounds {
		c, _, ce := harness.Hammer(clients, dur/rounds, func(int, int) error { return harness.BrowserGET(ctl.Base + path) })
		b, l, be := harness.Hammer(clients, dur/rounds, func(int, int) error { return harness.BrowserGET(blogBase + path) })
		ctlRPS, blogRPS, ratios = append(ctlRPS, c), append(blogRPS, b), append(ratios, b/c)
		lat = append(lat, l...)
		errs += ce + be
	}
	slices.Sort(lat)
	note := fmt.Sprintf("%d client(s); browser Accept-Encoding; control = plain net/http with the same bytes; median of %d rounds", clients, rounds)
	if errs > 0 {
		note += fmt.Sprintf("; %d errors", errs)
	}
	return harness.Row{Name: fmt.Sprintf("%s, c=%d", name, clients), Value: harness.Median(blogRPS), Unit: "req/s", Control: harness.Median(ctlRPS),
		Ratio: harness.Median(ratios), P50ms: harness.Percentile(lat, .5), P99ms: harness.Percentile(lat, .99), Note: note}
}

// revalidate fetches a page, then again with its validator, as a browser does for a page in its cache: the
// figure is the status of the second answer (304 when the page has a validator and did not change).
func revalidate(u string) harness.Row {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	harness.BrowserHeaders(req)
	resp, err := harness.Client.Do(req)
	if err != nil {
		return harness.Row{Name: "unchanged page fetched again with its validator", Note: err.Error()}
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	etag, modified := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	req, _ = http.NewRequest(http.MethodGet, u, nil)
	harness.BrowserHeaders(req)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if modified != "" {
		req.Header.Set("If-Modified-Since", modified)
	}
	resp, err = harness.Client.Do(req)
	if err != nil {
		return harness.Row{Name: "unchanged page fetched again with its validator", Note: err.Error()}
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	note := fmt.Sprintf("%d bytes of body; ETag %q", n, etag)
	if etag == "" && modified == "" {
		note = "the page has no validator: the whole page is sent again"
	}
	return harness.Row{Name: "unchanged page fetched again with its validator", Value: float64(resp.StatusCode), Unit: "status", Note: note}
}

// firstVisit counts the bytes a first visit to a post transfers, as the server sends them (gzip when offered).
func firstVisit(pageURL string) []harness.Row {
	fetch := func(u string) int {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br") // as browsers send it
		resp, err := harness.Client.Do(req)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return len(b)
	}
	req, _ := http.NewRequest(http.MethodGet, pageURL, nil)
	resp, err := harness.Client.Do(req)
	if err != nil {
		return nil
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	base := pageURL[:strings.Index(pageURL[8:], "/")+8]
	var css, js int
	for _, m := range regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`).FindAllStringSubmatch(string(html), -1) {
		u := strings.ReplaceAll(m[1], "&amp;", "&")
		switch {
		case strings.Contains(u, ".css"):
			css += fetch(base + u)
		case strings.Contains(u, ".js"):
			js += fetch(base + u)
		}
	}
	htmlBytes := fetch(pageURL)
	return []harness.Row{
		{Name: "first visit: HTML of a post with 100 comments", Value: float64(htmlBytes) / 1024, Unit: "KiB", Note: "as transferred to a browser (br/gzip)"},
		{Name: "first visit: CSS + JS", Value: float64(css+js) / 1024, Unit: "KiB", Note: fmt.Sprintf("CSS %.1f + JS %.1f KiB as transferred", float64(css)/1024, float64(js)/1024)},
	}
}

// CompareBinaries measures the same pages on two builds of the blog in one run, in alternating rounds: the
// current binary against an earlier one (-before), both with identical content and comments.
func CompareBinaries(ctx context.Context, before, current string, dur time.Duration) ([]harness.Row, error) {
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
