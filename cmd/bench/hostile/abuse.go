package hostile

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"blog/cmd/bench/harness"
)

// dialFrom opens a connection from a chosen loopback address: every 127/8 address is this machine, so one
// program can play many clients.
func dialFrom(local, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 2 * time.Second}
	return d.Dial("tcp", addr)
}

// stillOpen counts the connections the server has not closed: a short read times out on those.
func stillOpen(conns []net.Conn) int {
	n := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		buf := make([]byte, 512)
		for {
			_, err := c.Read(buf)
			if err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					n++
				}
				break
			}
		}
	}
	return n
}

// MeasureAbuse runs its own server with the default limits and reports what one address can hold, the memory
// that 200 slow uploads cost, and what an exhaustion attempt does to another reader's page latency.
func MeasureAbuse(ctx context.Context, binary string) ([]harness.Row, error) {
	dir, err := os.MkdirTemp("", "blog-bench-abuse-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	// The benchmark's own server raises the per-client limits for its load; this one keeps the defaults.
	s, err := harness.StartServer(ctx, binary, dir, "MAX_CONNS_PER_CLIENT=64", "MAX_STREAMS_PER_CLIENT=16")
	if err != nil {
		return nil, err
	}
	defer s.Stop()
	addr := strings.TrimPrefix(s.Base, "http://")
	var rows []harness.Row

	// Connections: try 500 idle ones from one address.
	var conns []net.Conn
	for range 500 {
		c, err := dialFrom("127.0.0.9", addr)
		if err == nil {
			conns = append(conns, c)
		}
	}
	time.Sleep(300 * time.Millisecond)
	rows = append(rows, harness.Row{Name: "connections one address can hold", Value: float64(stillOpen(conns)), Unit: "conns",
		Note: "tried 500 idle connections; MAX_CONNS_PER_CLIENT=64"})
	closeAll(conns)

	// Streams: try 100 from one address.
	conns = nil
	accepted := 0
	for range 100 {
		c, err := dialFrom("127.0.0.10", addr)
		if err != nil {
			continue
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET /posts/zero/events HTTP/1.1\r\nHost: bench\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 16)
		if n, _ := c.Read(buf); strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") {
			accepted++
		}
	}
	rows = append(rows, harness.Row{Name: "event streams one address can hold", Value: float64(accepted), Unit: "streams",
		Note: "tried 100; MAX_STREAMS_PER_CLIENT=16, the rest answered 429"})
	closeAll(conns)

	// Bodies: 200 slow uploads announcing 2 MB, each from its own address so no per-client limit applies.
	time.Sleep(300 * time.Millisecond)
	before := harness.RSSMiB(s.Cmd.Process.Pid)
	conns = nil
	for i := range 200 {
		c, err := dialFrom(fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250), addr)
		if err != nil {
			continue
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST /posts/zero/comments HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
			"Content-Length: %d\r\n\r\nbody=", 2<<20)
		c.Write([]byte(strings.Repeat("a", 8<<10)))
	}
	time.Sleep(time.Second)
	during := harness.RSSMiB(s.Cmd.Process.Pid)
	open := stillOpen(conns)
	closeAll(conns)
	rows = append(rows, harness.Row{Name: "server RSS during 200 slow 2 MB uploads", Value: during, Unit: "MiB",
		Note: fmt.Sprintf("%.1f MiB before; %d of 200 still open after 1 s (refused from Content-Length: 413)", before, open)})

	// An exhaustion attempt: one address holds its connections and opens and closes streams as fast as it can,
	// while another reads the post page once every 20 ms.
	reader := func(d time.Duration) ([]time.Duration, int) {
		tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		var lat []time.Duration
		failed := 0
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			t := time.Now()
			resp, err := c.Get(s.Base + "/posts/hundred")
			if err != nil {
				failed++
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed++
				continue
			}
			lat = append(lat, time.Since(t))
		}
		slices.Sort(lat)
		return lat, failed
	}
	quiet, quietFailed := reader(3 * time.Second)
	stop := make(chan struct{})
	var attempts atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := fmt.Sprintf("127.0.3.%d", 1+w%2) // two attacking addresses
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := dialFrom(local, addr)
				if err != nil {
					continue
				}
				fmt.Fprintf(c, "GET /posts/hundred/events HTTP/1.1\r\nHost: bench\r\n\r\n")
				c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				c.Read(make([]byte, 64))
				c.Close()
				attempts.Add(1)
			}
		}()
	}
	var held []net.Conn
	for range 200 {
		if c, err := dialFrom("127.0.3.3", addr); err == nil {
			held = append(held, c)
		}
	}
	busy, busyFailed := reader(5 * time.Second)
	close(stop)
	wg.Wait()
	closeAll(held)
	after, afterFailed := reader(2 * time.Second)
	rows = append(rows,
		harness.Row{Name: "reader's post page, quiet", Value: float64(len(quiet)), Unit: "pages", P50ms: harness.Percentile(quiet, .5),
			P99ms: harness.Percentile(quiet, .99), Note: fmt.Sprintf("%d failed", quietFailed)},
		harness.Row{Name: "reader's post page during an exhaustion attempt", Value: float64(len(busy)), Unit: "pages",
			P50ms: harness.Percentile(busy, .5), P99ms: harness.Percentile(busy, .99),
			Note: fmt.Sprintf("%d failed; %d stream opens/closes by two addresses, one holding 200 connections", busyFailed, attempts.Load())},
		harness.Row{Name: "reader's post page afterwards", Value: float64(len(after)), Unit: "pages", P50ms: harness.Percentile(after, .5),
			P99ms: harness.Percentile(after, .99), Note: fmt.Sprintf("%d failed; the server is still serving", afterFailed)})
	return rows, nil
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}
