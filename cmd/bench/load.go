package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var transport = &http.Transport{MaxIdleConnsPerHost: 128, DisableCompression: true}

var client = &http.Client{
	Transport: transport,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
	Timeout: 30 * time.Second,
}

// visitor is a client with its own cookies and CSRF token, as a browser tab would have.
type visitor struct {
	http  *http.Client
	token string
	// stamp is the comment form's signed timestamp, which the spam rules want.
	stamp string
	// newest is the newest comment id on this visitor's page, sent with htmx posts as the page script does.
	newest int64
}

var commentID = regexp.MustCompile(`data-comment-id="(\d+)"`)

var csrfMeta = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

var formStamp = regexp.MustCompile(`name="_t" value="([^"]+)"`)

func newVisitor(base string) (*visitor, error) {
	jar, _ := cookiejar.New(nil)
	v := &visitor{http: &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := v.http.Get(base + "/posts/zero")
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m, st := csrfMeta.FindSubmatch(b), formStamp.FindSubmatch(b)
	if m == nil || st == nil {
		return nil, fmt.Errorf("no CSRF token or form timestamp on a post page")
	}
	v.token, v.stamp = string(m[1]), string(st[1])
	return v, nil
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return float64(sorted[i].Microseconds()) / 1000
}

// postComment posts one comment (as htmx does, or as a plain form) and returns its id for a plain form.
func (v *visitor) postComment(base, slug, name, body string, htmx bool) (int64, error) {
	form := url.Values{"username": {name}, "email": {strings.ToLower(name) + "@example.com"}, "body": {body}, "_csrf": {v.token}, "_t": {v.stamp}}
	req, _ := http.NewRequest(http.MethodPost, base+"/posts/"+slug+"/comments", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", v.token)
		req.Header.Set("X-Newest-Comment", strconv.FormatInt(v.newest, 10))
	}
	resp, err := v.http.Do(req)
	if err != nil {
		return 0, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case !htmx && resp.StatusCode == http.StatusSeeOther:
		loc := resp.Header.Get("Location")
		return strconv.ParseInt(loc[strings.LastIndex(loc, "-")+1:], 10, 64)
	case htmx && resp.StatusCode == http.StatusOK:
		if m := commentID.FindSubmatch(b); m != nil {
			v.newest, _ = strconv.ParseInt(string(m[1]), 10, 64)
		}
		return 0, nil
	}
	return 0, fmt.Errorf("POST status %d: %.200s", resp.StatusCode, b)
}

func seed(ctx context.Context, s *server, counts map[string]int) error {
	v, err := newVisitor(s.base)
	if err != nil {
		return err
	}
	for slug, n := range counts {
		for i := range n {
			if _, err := v.postComment(s.base, slug, fmt.Sprintf("Reader%d", i%37), realisticComment(i), false); err != nil {
				return fmt.Errorf("seed %s: %w", slug, err)
			}
		}
	}
	return nil
}

// hammer runs workers concurrent loops of fn for dur and returns requests/s and sorted latencies.
func hammer(workers int, dur time.Duration, fn func(worker, i int) error) (float64, []time.Duration, int) {
	var mu sync.Mutex
	var all []time.Duration
	var errs atomic.Int64
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for i := 0; time.Now().Before(deadline) && i < 1_000_000; i++ {
				t := time.Now()
				if err := fn(w, i); err != nil {
					errs.Add(1)
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	return float64(len(all)) / elapsed.Seconds(), all, int(errs.Load())
}

// revalidate fetches a page, then again with its validator, as a browser does for a page in its cache: the
// figure is the status of the second answer (304 when the page has a validator and did not change).
func revalidate(u string) Row {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	browserHeaders(req)
	resp, err := client.Do(req)
	if err != nil {
		return Row{Name: "unchanged page fetched again with its validator", Note: err.Error()}
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	etag, modified := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	req, _ = http.NewRequest(http.MethodGet, u, nil)
	browserHeaders(req)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if modified != "" {
		req.Header.Set("If-Modified-Since", modified)
	}
	resp, err = client.Do(req)
	if err != nil {
		return Row{Name: "unchanged page fetched again with its validator", Note: err.Error()}
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	note := fmt.Sprintf("%d bytes of body; ETag %q", n, etag)
	if etag == "" && modified == "" {
		note = "the page has no validator: the whole page is sent again"
	}
	return Row{Name: "unchanged page fetched again with its validator", Value: float64(resp.StatusCode), Unit: "status", Note: note}
}

// realisticComment is a comment of a few hundred characters, in two paragraphs with a link, as readers write.
func realisticComment(i int) string {
	return fmt.Sprintf("Thanks for writing this up (%d). I tried the same approach on a small server last year and ran into the "+
		"problem you describe with reconnects: the browser kept the old connection around for a while.\n\n"+
		"What helped was keeping the last event id and asking for everything after it, as explained at "+
		"https://example.org/notes/%d. Did you measure how long a reconnect takes on a phone?", i, i)
}

func measurePOST(base, slug string, clients int, dur time.Duration) Row {
	visitors := make([]*visitor, clients)
	for i := range visitors {
		var err error
		if visitors[i], err = newVisitor(base); err != nil {
			return Row{Name: "comment POST", Note: err.Error()}
		}
	}
	rps, lat, errs := hammer(clients, dur, func(w, i int) error {
		_, err := visitors[w].postComment(base, slug, fmt.Sprintf("Bench%d", w), realisticComment(i*1000+w), true)
		return err
	})
	return Row{Name: fmt.Sprintf("comment POST (htmx), %d concurrent clients", clients), Value: rps, Unit: "req/s",
		P50ms: percentile(lat, .5), P99ms: percentile(lat, .99), Note: fmt.Sprintf("SQLite; %d errors", errs)}
}

// firstVisit counts the bytes a first visit to a post transfers, as the server sends them (gzip when offered).
func firstVisit(pageURL string) []Row {
	fetch := func(u string) int {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br") // as browsers send it
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return len(b)
	}
	req, _ := http.NewRequest(http.MethodGet, pageURL, nil)
	resp, err := client.Do(req)
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
	return []Row{
		{Name: "first visit: HTML of a post with 100 comments", Value: float64(htmlBytes) / 1024, Unit: "KiB", Note: "as transferred to a browser (br/gzip)"},
		{Name: "first visit: CSS + JS", Value: float64(css+js) / 1024, Unit: "KiB", Note: fmt.Sprintf("CSS %.1f + JS %.1f KiB as transferred", float64(css)/1024, float64(js)/1024)},
	}
}
