package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"blog/repo"
)

// streamSet is n open event streams whose readers record when each comment arrives (an event showing it) and
// when it leaves (an event removing it).
type streamSet struct {
	conns    []net.Conn
	mu       sync.Mutex
	arrivals map[int64][]time.Time
	removals map[int64][]time.Time
	received atomic.Int64
	removed  atomic.Int64
	wg       sync.WaitGroup
}

func openStreams(base, slug string, n int) (*streamSet, error) {
	addr := strings.TrimPrefix(base, "http://")
	ss := &streamSet{arrivals: map[int64][]time.Time{}, removals: map[int64][]time.Time{}}
	for i := range n {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			ss.close()
			return nil, fmt.Errorf("open stream %d: %w", i, err)
		}
		fmt.Fprintf(conn, "GET /posts/%s/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n", slug)
		ss.conns = append(ss.conns, conn)
		ss.wg.Add(1)
		go ss.read(conn)
	}
	return ss, nil
}

func (ss *streamSet) read(conn net.Conn) {
	defer ss.wg.Done()
	r := bufio.NewReaderSize(conn, 4096)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
		// An event's first data line is the comment's element: shown, or gone (data-gone).
		if m := commentID.FindSubmatch(line); m != nil && strings.HasPrefix(string(line), "data: <li") {
			now := time.Now()
			id, _ := strconv.ParseInt(string(m[1]), 10, 64)
			gone := strings.Contains(string(line), "data-gone=")
			ss.mu.Lock()
			if gone {
				ss.removals[id] = append(ss.removals[id], now)
			} else {
				ss.arrivals[id] = append(ss.arrivals[id], now)
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

// measureLive opens n streams on a post, posts comments one by one, and measures when each reaches every stream.
func measureLive(s *server, slug string, n int) ([]Row, error) {
	ss, err := openStreams(s.base, slug, n)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	time.Sleep(time.Duration(n/1000+1) * 500 * time.Millisecond) // let every stream subscribe
	// What the open streams cost while nothing happens (heartbeats aside).
	cpu0, idle := cpuSeconds(s.cmd.Process.Pid), 3*time.Second
	time.Sleep(idle)
	idleCPU := (cpuSeconds(s.cmd.Process.Pid) - cpu0) / idle.Seconds() * 100
	k, gap := 20, 100*time.Millisecond
	if n >= 5000 {
		k, gap = 10, 400*time.Millisecond
	}
	v, err := newVisitor(s.base)
	if err != nil {
		return nil, err
	}
	var posts []sent
	for i := range k {
		t := time.Now()
		id, err := v.postComment(s.base, slug, "Live", fmt.Sprintf("Live comment %d", i), false)
		if err != nil {
			return nil, err
		}
		posts = append(posts, sent{id: id, start: t, resp: time.Now()})
		time.Sleep(gap)
	}
	want := int64(n * k)
	deadline := time.Now().Add(60 * time.Second)
	for ss.received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	rss := rssMiB(s.cmd.Process.Pid)
	ss.mu.Lock()
	var fromResp, fromStart []time.Duration
	for _, p := range posts {
		for _, at := range ss.arrivals[p.id] {
			fromResp = append(fromResp, max(0, at.Sub(p.resp)))
			fromStart = append(fromStart, at.Sub(p.start))
		}
	}
	ss.mu.Unlock()
	slices.Sort(fromResp)
	slices.Sort(fromStart)
	var took []time.Duration
	for _, p := range posts {
		took = append(took, p.resp.Sub(p.start))
	}
	slices.Sort(took)
	missing := want - int64(len(fromResp))
	label := fmt.Sprintf("%d open streams", n)
	return []Row{
		{Name: "live delivery after POST response, " + label, Value: float64(len(fromResp)), Unit: "deliveries",
			P50ms: percentile(fromResp, .5), P99ms: percentile(fromResp, .99),
			Note: fmt.Sprintf("%d comments x %d streams; %d missing; early arrivals count 0", k, n, missing)},
		{Name: "live delivery after POST sent, " + label, Value: float64(len(fromStart)), Unit: "deliveries",
			P50ms: percentile(fromStart, .5), P99ms: percentile(fromStart, .99), Note: fmt.Sprintf("includes the POST itself (median POST %.1f ms)", percentile(took, .5))},
		{Name: "server RSS with " + label, Value: rss, Unit: "MiB"},
		{Name: "server CPU while " + label + " idle", Value: idleCPU, Unit: "% of a core", Note: "over 3 s, nothing posted"},
	}, nil
}

// measureCrossInstance starts two instances on a fresh PostgreSQL database and measures delivery from a POST on
// one to streams on the other.
func measureCrossInstance(ctx context.Context, binary, dir, adminURL string) ([]Row, error) {
	dbURL, drop, err := repo.CreateDatabase(ctx, adminURL, fmt.Sprintf("blogbench_%d", time.Now().UnixNano()%1e9))
	if err != nil {
		return nil, err
	}
	defer drop()
	env := "DATABASE_URL=" + dbURL
	a, err := startServer(ctx, binary, dir, env)
	if err != nil {
		return nil, err
	}
	defer a.stop()
	b, err := startServer(ctx, binary, dir, env)
	if err != nil {
		return nil, err
	}
	defer b.stop()
	ss, err := openStreams(b.base, "zero", 100)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	time.Sleep(500 * time.Millisecond)
	v, err := newVisitor(a.base)
	if err != nil {
		return nil, err
	}
	var posts []sent
	for i := range 20 {
		t := time.Now()
		id, err := v.postComment(a.base, "zero", "Cross", fmt.Sprintf("Cross-instance comment %d", i), false)
		if err != nil {
			return nil, err
		}
		posts = append(posts, sent{id: id, start: t, resp: time.Now()})
		time.Sleep(100 * time.Millisecond)
	}
	deadline := time.Now().Add(30 * time.Second)
	for ss.received.Load() < 2000 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ss.mu.Lock()
	var lat []time.Duration
	for _, p := range posts {
		for _, at := range ss.arrivals[p.id] {
			lat = append(lat, max(0, at.Sub(p.resp)))
		}
	}
	ss.mu.Unlock()
	slices.Sort(lat)
	fmt.Fprintln(os.Stderr)
	return []Row{{Name: "cross-instance delivery (PostgreSQL), 100 streams", Value: float64(len(lat)), Unit: "deliveries",
		P50ms: percentile(lat, .5), P99ms: percentile(lat, .99),
		Note: fmt.Sprintf("POST on instance A, streams on B; %d missing", 2000-len(lat))}}, nil
}
