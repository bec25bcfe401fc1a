package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"time"
)

// browserHeaders are what a browser sends for a page: the blog may answer compressed, as it does for readers.
func browserHeaders(req *http.Request) {
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
}

// captured is one answer of the blog, as sent: status, the headers that shape it, and the body as it came over
// the wire (still compressed).
type captured struct {
	ctype, encoding string
	body            []byte
}

// capture fetches a page like a first-time browser visitor and keeps the bytes it was sent.
func capture(u string) (captured, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	browserHeaders(req)
	resp, err := client.Do(req)
	if err != nil {
		return captured{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return captured{}, fmt.Errorf("capture %s: %d %v", u, resp.StatusCode, err)
	}
	return captured{ctype: resp.Header.Get("Content-Type"), encoding: resp.Header.Get("Content-Encoding"), body: b}, nil
}

// control is an independent server: plain net/http, serving from memory the exact bytes the blog sent for
// each page, with the same Content-Type and Content-Encoding. It is the ceiling a page could reach on this
// machine; nothing of the blog's stack runs in it.
type control struct {
	base  string
	pages map[string]captured
	srv   *http.Server
}

func startControl(pages map[string]captured) (*control, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &control{base: "http://" + ln.Addr().String(), pages: pages}
	c.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := c.pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", p.ctype)
		if p.encoding != "" {
			w.Header().Set("Content-Encoding", p.encoding)
			w.Header().Set("Vary", "Accept-Encoding")
		}
		w.Write(p.body)
	})}
	go c.srv.Serve(ln)
	return c, nil
}

func (c *control) stop() { c.srv.Close() }

// browserGET fetches a page as a browser would and reads the body as sent (not decompressed: the client does
// no work the control would not also cause).
func browserGET(u string) error {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	browserHeaders(req)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// comparePage measures a page of the blog against the control serving its bytes, at the given concurrency, in
// alternating rounds (control, blog, control, blog, ...) so that drift in the machine's load touches both; it
// reports the medians of the rounds and the median of the per-round ratios.
func comparePage(blogBase string, ctl *control, name, path string, clients int, dur time.Duration) Row {
	const rounds = 6
	browserGET(blogBase + path)
	browserGET(ctl.base + path)
	var blogRPS, ctlRPS, ratios []float64
	var lat []time.Duration
	errs := 0
	for range rounds {
		c, _, ce := hammer(clients, dur/rounds, func(int, int) error { return browserGET(ctl.base + path) })
		b, l, be := hammer(clients, dur/rounds, func(int, int) error { return browserGET(blogBase + path) })
		ctlRPS, blogRPS, ratios = append(ctlRPS, c), append(blogRPS, b), append(ratios, b/c)
		lat = append(lat, l...)
		errs += ce + be
	}
	slices.Sort(lat)
	note := fmt.Sprintf("%d client(s); browser Accept-Encoding; control = plain net/http with the same bytes; median of %d rounds", clients, rounds)
	if errs > 0 {
		note += fmt.Sprintf("; %d errors", errs)
	}
	return Row{Name: fmt.Sprintf("%s, c=%d", name, clients), Value: median(blogRPS), Unit: "req/s", Control: median(ctlRPS),
		Ratio: median(ratios), P50ms: percentile(lat, .5), P99ms: percentile(lat, .99), Note: note}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
