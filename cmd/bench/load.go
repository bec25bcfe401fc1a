package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
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
	"unicode"
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
	// parent, when set, makes the next comment a reply to it.
	parent int64
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
	st := formStamp.FindSubmatch(b)
	if st == nil {
		return nil, fmt.Errorf("no form timestamp on a post page")
	}
	v.stamp = string(st[1])
	if m := csrfMeta.FindSubmatch(b); m != nil { // builds before the public pages lost their per-visitor token
		v.token = string(m[1])
	}
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
	if v.parent > 0 {
		form.Set("parent", strconv.FormatInt(v.parent, 10))
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/posts/"+slug+"/comments", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin") // what a browser sends for its own page's form
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

// sentences are what benchmark comments are made of: varied enough that a page of them compresses like a page
// of real comments, not like one sentence repeated.
var sentences = []string{
	"Thanks for writing this up; I tried the same approach on a small server last year.",
	"The part about reconnects matches what I saw: the browser kept the old connection around for a while.",
	"Did you measure how long a reconnect takes on a phone with a weak signal?",
	"I would add that keeping the last event id on the client makes the whole thing much simpler.",
	"We ran something similar behind nginx and had to turn off proxy buffering for the stream to work.",
	"One question: what happens when two instances write to the same post at the same moment?",
	"This is the clearest explanation of server-sent events I have read so far.",
	"My own blog uses a third-party widget and I have wanted to get rid of it for years.",
	"Small nit: the diagram says pages, but I think you mean open tabs.",
	"SQLite in WAL mode handled our load fine until we passed a few hundred writes a second.",
	"I disagree a little about moderation; holding the first comment of a new reader worked better for us.",
	"Have you looked at how many open streams a cheap virtual machine can hold?",
	"The numbers are impressive, but I wonder how much of that is the machine and how much the design.",
	"We switched from polling every five seconds to a stream and the database load dropped by half.",
	"Could you share the configuration you used for the reverse proxy in front of it?",
	"It would be great to see a follow-up about backups and restoring onto a new machine.",
	"Reading this on my phone on the train, and the page loaded instantly even with a poor connection.",
	"The comment form keeping my text after an error is such a relief; most sites lose it.",
	"I tried posting without JavaScript and it still worked, which is rarer than it should be.",
	"Please keep writing about the boring parts; they are the ones nobody explains.",
	"Our team found that most of the latency was in TLS handshakes, not in the application.",
	"How do you deal with spam once the blog gets some attention from search engines?",
	"Interesting that the rendered list is cached per post instead of per page view.",
	"I learned more from the failure stories in the footnotes than from the main text.",
}

// realisticComment is a comment of a few hundred characters, in two paragraphs with a link, as readers write:
// one sentence from the pool, then words drawn at random (seeded by the comment's number) from the pool's
// vocabulary, so that a page of comments compresses like real text rather than like a sentence repeated.
func realisticComment(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	para := func(words int) string {
		var b strings.Builder
		for w := range words {
			word := vocabulary[r.IntN(len(vocabulary))]
			if w == 0 {
				word = strings.ToUpper(word[:1]) + word[1:]
			}
			b.WriteString(word)
			if w == words-1 {
				b.WriteString(".")
			} else if r.IntN(9) == 0 {
				b.WriteString(", ")
			} else {
				b.WriteString(" ")
			}
		}
		return b.String()
	}
	return fmt.Sprintf("%s %s\n\n%s More at https://example.org/notes/%d-%d.", sentences[i%len(sentences)], para(18+r.IntN(12)),
		para(14+r.IntN(10)), i, r.IntN(100000))
}

// vocabulary is every word of the sentences.
var vocabulary = func() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sentences {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}()

func measurePOST(base, slug string, clients int, dur time.Duration) Row {
	// The post is being read, as one that gets comments is: the server keeps its list current with every POST.
	browserGET(base + "/posts/" + slug)
	visitors, err := newVisitors(base, clients)
	if err != nil {
		return Row{Name: "comment POST", Note: err.Error()}
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

// newVisitors gives each of n POST clients its own cookies.
func newVisitors(base string, n int) ([]*visitor, error) {
	visitors := make([]*visitor, n)
	for i := range visitors {
		var err error
		if visitors[i], err = newVisitor(base); err != nil {
			return nil, err
		}
	}
	return visitors, nil
}

// comparePOSTSize measures comment POSTs on a post with very many comments against POSTs on a post with few,
// with the same clients, in alternating rounds. Both posts are being read (their pages fetched first, so the
// server keeps both lists current), as a post that gets comments is. The ratio is the median of the rounds'
// cost ratios (time per POST on the large post ÷ on the small one): 1.0 means a post's size costs its writes
// nothing.
func comparePOSTSize(base, small, large string, nLarge, clients int, dur time.Duration) Row {
	const rounds = 6
	name := fmt.Sprintf("comment POST cost, post with %d comments ÷ with 100, c=%d", nLarge, clients)
	for _, slug := range []string{small, large} {
		if err := browserGET(base + "/posts/" + slug); err != nil {
			return Row{Name: name, Note: err.Error()}
		}
	}
	visitors, err := newVisitors(base, clients)
	if err != nil {
		return Row{Name: name, Note: err.Error()}
	}
	post := func(slug string) (float64, []time.Duration, int) {
		return hammer(clients, dur/rounds, func(w, i int) error {
			_, err := visitors[w].postComment(base, slug, fmt.Sprintf("Bench%d", w), realisticComment(i*1000+w), true)
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
	return Row{Name: name, Value: median(largeRPS), Unit: "req/s", Control: median(smallRPS), Ratio: median(ratios),
		P50ms: percentile(lat, .5), P99ms: percentile(lat, .99),
		Note: fmt.Sprintf("value: POSTs/s on the large post; control: on the post with 100; ratio: cost on the large ÷ on the small, median of %d alternating rounds; both posts' pages read first; the small one gains the rounds' comments too; %d errors", rounds, errs)}
}
