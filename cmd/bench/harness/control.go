package harness

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
	"strconv"
	"strings"
	"sync"
	"time"
)

// Control is an independent server: plain net/http, serving from memory the exact bytes the blog sent for
// each page, with the same Content-Type and Content-Encoding. It is the ceiling a page could reach on this
// machine; nothing of the blog's stack runs in it. It runs in a process of its own (this program started again
// with ControlChildEnv set), like the blog: a server inside the load generator's own process would be woken by
// the same Go scheduler as its client, which at one client is several times quicker than a wake-up across
// processes, and would flatter the control.
type Control struct {
	Base string
	cmd  *exec.Cmd
}

// ControlChildEnv, when set in the environment, makes this program the control server (see ServeControl).
const ControlChildEnv = "BLOG_BENCH_CONTROL_CHILD"

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

// StartControl starts the control process with the pages it serves and, when frame is not nil, the event its
// streams (GET /events) are sent at each POST /send?id=N, with the comment's id replaced by N.
func StartControl(pages map[string]Captured, frame []byte) (*Control, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var wire []wirePage
	for path, p := range pages {
		wire = append(wire, wirePage{Path: path, ContentType: p.ContentType, Encoding: p.Encoding, Body: p.Body})
	}
	in, err := json.Marshal(wireControl{Pages: wire, Frame: frame})
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), ControlChildEnv+"=1")
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
	return &Control{Base: strings.TrimSpace(line), cmd: cmd}, nil
}

// Stop ends the control process.
func (c *Control) Stop() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

// ServeControl is the control process: it reads the pages from standard input, prints its address and serves
// them until it is killed.
func ServeControl() error {
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
		b := CommentID.ReplaceAll(cs.frame, []byte(`data-comment-id="`+r.URL.Query().Get("id")+`"`))
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

// ControlStreamCount is how many streams the control has open.
func ControlStreamCount(base string) int {
	resp, err := Client.Get(base + "/streams")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n, _ := strconv.Atoi(string(b))
	return n
}
