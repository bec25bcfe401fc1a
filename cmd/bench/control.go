package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
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
// machine; nothing of the blog's stack runs in it. It runs in a process of its own (this program started again
// with controlChildEnv set), like the blog: a server inside the load generator's own process would be woken by
// the same Go scheduler as its client, which at one client is several times quicker than a wake-up across
// processes, and would flatter the control.
type control struct {
	base string
	cmd  *exec.Cmd
}

// controlChildEnv, when set in the environment, makes this program the control server (see serveControl).
const controlChildEnv = "BLOG_BENCH_CONTROL_CHILD"

// wirePage is a captured page as the control process receives it on its standard input.
type wirePage struct {
	Path, ContentType, Encoding string
	Body                        []byte
}

// wireControl is what the control process receives on its standard input: the pages, and the change event it
// sends on its streams.
type wireControl struct {
	Pages []wirePage
	Frame []byte
}

// startControl starts the control process with the pages it serves and, when frame is not nil, the event its
// streams (GET /events) are sent at each POST /send?id=N, with the comment's id replaced by N.
func startControl(pages map[string]captured, frame []byte) (*control, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var wire []wirePage
	for path, p := range pages {
		wire = append(wire, wirePage{Path: path, ContentType: p.ctype, Encoding: p.encoding, Body: p.body})
	}
	in, err := json.Marshal(wireControl{Pages: wire, Frame: frame})
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), controlChildEnv+"=1")
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("control server did not start: %v", err)
	}
	return &control{base: strings.TrimSpace(line), cmd: cmd}, nil
}

func (c *control) stop() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

// serveControl is the control process: it reads the pages from standard input, prints its address and serves
// them until it is killed.
func serveControl() error {
	var wire wireControl
	if err := json.NewDecoder(os.Stdin).Decode(&wire); err != nil {
		return err
	}
	pages := map[string]wirePage{}
	for _, p := range wire.Pages {
		pages[p.Path] = p
	}
	streams := &controlStreams{frame: wire.Frame, subs: map[chan []byte]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("http://" + ln.Addr().String())
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if streams.serve(w, r) {
			return
		}
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", p.ContentType)
		if p.Encoding != "" {
			w.Header().Set("Content-Encoding", p.Encoding)
			w.Header().Set("Vary", "Accept-Encoding")
		}
		w.Write(p.Body)
	})}
	return srv.Serve(ln)
}

// controlStreams is the control's event streams, written as a plain Go server would: a goroutine and a channel per
// stream, each change handed to every channel and written by each stream on its connection.
type controlStreams struct {
	frame []byte
	mu    sync.Mutex
	subs  map[chan []byte]struct{}
}

// serve answers GET /events, POST /send and GET /streams; it reports false for any other request.
func (cs *controlStreams) serve(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case "/events":
		// Taken over from net/http and written raw, as the blog writes its streams: no chunked framing and no
		// background reader, so the control is the ceiling, not a handicapped rival.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return true
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"+
			"Connection: close\r\n\r\n"); err != nil {
			return true
		}
		ch := make(chan []byte, 256)
		cs.mu.Lock()
		cs.subs[ch] = struct{}{}
		cs.mu.Unlock()
		defer func() {
			cs.mu.Lock()
			delete(cs.subs, ch)
			cs.mu.Unlock()
		}()
		for b := range ch {
			if _, err := conn.Write(b); err != nil {
				return true
			}
		}
	case "/send":
		b := commentID.ReplaceAll(cs.frame, []byte(`data-comment-id="`+r.URL.Query().Get("id")+`"`))
		cs.mu.Lock()
		for ch := range cs.subs {
			select {
			case ch <- b:
			default:
			}
		}
		cs.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case "/streams":
		cs.mu.Lock()
		n := len(cs.subs)
		cs.mu.Unlock()
		fmt.Fprint(w, n)
	default:
		return false
	}
	return true
}

// controlStreamCount is how many streams the control has open.
func controlStreamCount(base string) int {
	resp, err := client.Get(base + "/streams")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n, _ := strconv.Atoi(string(b))
	return n
}

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
