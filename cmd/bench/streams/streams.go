// Package streams holds the benchmark's figures over open event streams: readers that note when each change
// reached their socket (the kernel's receive time) and when they read it, live delivery of new comments to 100 to
// 10,000 streams against the stream control (plain net/http with the same event), removals made through the
// owner's console, and delivery from one instance to another over PostgreSQL.
package streams

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"blog/cmd/bench/harness"
)

// streamSet is n open event streams whose readers record when each comment arrives (an event showing it) and
// when it leaves (an event removing it): when the event reached the reader's socket (the kernel's receive
// time), and, for arrivals, when the reader got to read it.
type streamSet struct {
	conns    []net.Conn
	mu       sync.Mutex
	arrivals map[int64][]time.Time
	reads    map[int64][]time.Time
	removals map[int64][]time.Time
	received atomic.Int64
	removed  atomic.Int64
	wg       sync.WaitGroup
	// frame is the first change event one stream received, as sent: what the stream control sends.
	frame     []byte
	frameOnce sync.Once
}

func openStreams(base, path string, n int) (*streamSet, error) {
	addr := strings.TrimPrefix(base, "http://")
	ss := &streamSet{arrivals: map[int64][]time.Time{}, reads: map[int64][]time.Time{}, removals: map[int64][]time.Time{}}
	for i := range n {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			ss.close()
			return nil, fmt.Errorf("open stream %d: %w", i, err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n", path)
		ss.conns = append(ss.conns, conn)
		ss.wg.Add(1)
		go ss.read(conn, i == 0)
	}
	return ss, nil
}

func (ss *streamSet) read(conn net.Conn, keep bool) {
	defer ss.wg.Done()
	lines, err := newStampedLines(conn)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: stream timestamps:", err)
		return
	}
	var frame []byte
	for {
		line, arrived, read, err := lines.next()
		if err != nil {
			return
		}
		if keep {
			frame = keepFrame(ss, frame, line)
		}
		// An event's first data line is the comment's element: shown, or gone (data-gone).
		if !bytes.HasPrefix(line, []byte("data: <li")) {
			continue
		}
		if m := harness.CommentID.FindSubmatch(line); m != nil {
			id, _ := strconv.ParseInt(string(m[1]), 10, 64)
			gone := bytes.Contains(line, []byte("data-gone="))
			ss.mu.Lock()
			if gone {
				ss.removals[id] = append(ss.removals[id], arrived)
			} else {
				ss.arrivals[id] = append(ss.arrivals[id], arrived)
				ss.reads[id] = append(ss.reads[id], read)
			}
			ss.mu.Unlock()
			if gone {
				ss.removed.Add(1)
			} else {
				ss.received.Add(1)
			}
		}
	}
}

// keepFrame collects the lines of the first change event into ss.frame.
func keepFrame(ss *streamSet, frame, line []byte) []byte {
	switch {
	case ss.frame != nil:
	case bytes.HasPrefix(line, []byte("event: change")):
		frame = append([]byte{}, line...)
	case frame != nil && string(line) == "\n":
		frame = append(frame, line...)
		ss.frameOnce.Do(func() { ss.mu.Lock(); ss.frame = frame; ss.mu.Unlock() })
		return nil
	case frame != nil:
		frame = append(frame, line...)
	}
	return frame
}

func (ss *streamSet) close() {
	for _, c := range ss.conns {
		c.Close()
	}
	ss.wg.Wait()
}

// sent is one comment posted during a live measurement.
type sent struct {
	id          int64
	start, resp time.Time
}

// delivery is what one live measurement saw: for every arrival, its delay after the POST's response and after
// the POST was sent (reaching the reader's socket), and after the POST was sent until the reader read it; and
// how long each POST took.
type delivery struct {
	fromResp, fromStart, readFromStart, took []time.Duration
	missing                                  int64
}

// deliver sends k changes through post, gap apart, and waits until each has reached every stream of ss.
func (ss *streamSet) deliver(k int, gap time.Duration, post func(i int) (int64, error)) (delivery, error) {
	var posts []sent
	for i := range k {
		t := time.Now()
		id, err := post(i)
		if err != nil {
			return delivery{}, err
		}
		posts = append(posts, sent{id: id, start: t, resp: time.Now()})
		time.Sleep(gap)
	}
	want := int64(len(ss.conns) * k)
	deadline := time.Now().Add(60 * time.Second)
	for ss.received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var d delivery
	for _, p := range posts {
		d.took = append(d.took, p.resp.Sub(p.start))
		for _, at := range ss.arrivals[p.id] {
			d.fromResp = append(d.fromResp, max(0, at.Sub(p.resp)))
			d.fromStart = append(d.fromStart, at.Sub(p.start))
		}
		for _, at := range ss.reads[p.id] {
			d.readFromStart = append(d.readFromStart, at.Sub(p.start))
		}
	}
	slices.Sort(d.fromResp)
	slices.Sort(d.fromStart)
	slices.Sort(d.readFromStart)
	slices.Sort(d.took)
	d.missing = want - int64(len(d.fromResp))
	return d, nil
}
