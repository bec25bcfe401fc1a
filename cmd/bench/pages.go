package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"blog/cmd/bench/harness"
)

// measurePages measures the pages against the control serving the same bytes, and the revalidation.
func measurePages(srv *harness.Server, dur time.Duration, add func(harness.Row)) error {
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

func measurePOST(base, slug string, clients int, dur time.Duration) harness.Row {
	// The post is being read, as one that gets comments is: the server keeps its list current with every POST.
	harness.BrowserGET(base + "/posts/" + slug)
	visitors, err := harness.NewVisitors(base, clients)
	if err != nil {
		return harness.Row{Name: "comment POST", Note: err.Error()}
	}
	rps, lat, errs := harness.Hammer(clients, dur, func(w, i int) error {
		_, err := visitors[w].PostComment(base, slug, fmt.Sprintf("Bench%d", w), harness.RealisticComment(i*1000+w), true)
		return err
	})
	return harness.Row{Name: fmt.Sprintf("comment POST (htmx), %d concurrent clients", clients), Value: rps, Unit: "req/s",
		P50ms: harness.Percentile(lat, .5), P99ms: harness.Percentile(lat, .99), Note: fmt.Sprintf("SQLite; %d errors", errs)}
}

// comparePOSTSize measures comment POSTs on a post with very many comments against POSTs on a post with few,
// with the same clients, in alternating rounds. Both posts are being read (their pages fetched first, so the
// server keeps both lists current), as a post that gets comments is. The ratio is the median of the rounds'
// cost ratios (time per POST on the large post ÷ on the small one): 1.0 means a post's size costs its writes
// nothing.
func comparePOSTSize(base, small, large string, nLarge, clients int, dur time.Duration) harness.Row {
	const rounds = 6
	name := fmt.Sprintf("comment POST cost, post with %d comments ÷ with 100, c=%d", nLarge, clients)
	for _, slug := range []string{small, large} {
		if err := harness.BrowserGET(base + "/posts/" + slug); err != nil {
			return harness.Row{Name: name, Note: err.Error()}
		}
	}
	visitors, err := harness.NewVisitors(base, clients)
	if err != nil {
		return harness.Row{Name: name, Note: err.Error()}
	}
	post := func(slug string) (float64, []time.Duration, int) {
		return harness.Hammer(clients, dur/rounds, func(w, i int) error {
			_, err := visitors[w].PostComment(base, slug, fmt.Sprintf("Bench%d", w), harness.RealisticComment(i*1000+w), true)
			return err
		})
	}
	var ratios, smallRPS, largeRPS []float64
	var lat []time.Duration
	errs := 0
	for range rounds {
		s, _, se := post(small)
		l, ll, le := post(large)
		smallRPS, largeRPS, ratios = append(smallRPS, s), append(largeRPS, l), append(ratios, s/l)
		lat = append(lat, ll...)
		errs += se + le
	}
	slices.Sort(lat)
	return harness.Row{Name: name, Value: harness.Median(largeRPS), Unit: "req/s", Control: harness.Median(smallRPS), Ratio: harness.Median(ratios),
		P50ms: harness.Percentile(lat, .5), P99ms: harness.Percentile(lat, .99),
		Note: fmt.Sprintf("value: POSTs/s on the large post; control: on the post with 100; ratio: cost on the large ÷ on the small, median of %d alternating rounds; both posts' pages read first; the small one gains the rounds' comments too; %d errors", rounds, errs)}
}
