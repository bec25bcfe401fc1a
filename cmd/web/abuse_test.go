package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"blog/internal/dbtest"
)

// dialFrom opens a TCP connection to addr from a given loopback address (127.0.0.1 is one client, 127.0.0.2
// another: every 127/8 address is this machine).
func dialFrom(local, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 2 * time.Second}
	return d.Dial("tcp", addr)
}

// getFrom fetches a page from a given loopback address.
func getFrom(local, url string) (int, error) {
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 2 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// metric reads one value from the server's private /metrics.
func metric(t *testing.T, metricsAddr, name string) float64 {
	t.Helper()
	body := okBody(t, "http://"+metricsAddr+"/metrics")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` ([0-9.e+]+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestOneClientCannotHoldMuch runs the real program and has one address try to hold far more than its share:
// connections, event streams and a closed stream's place. Another address is served throughout.
func TestOneClientCannotHoldMuch(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped with -short (make test-short)")
	}
	metricsAddr := freeAddr(t)
	p := startProc(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "MAX_CONNS_PER_CLIENT": "20",
		"MAX_STREAMS_PER_CLIENT": "4", "METRICS_ADDR": metricsAddr})
	addr := strings.TrimPrefix(p.base, "http://")

	// Connections: 50 idle ones from one address; the server keeps 20 and closes the rest at once. An address
	// nothing else uses: the readiness checks' connection from 127.0.0.1 may still count for a moment.
	const client = "127.0.0.4"
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 50 {
		c, err := dialFrom(client, addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	// A 51st connection, refused too: the server takes connections one at a time in the order they came, so
	// once this one is closed, each of the 50 before it was kept or closed already.
	marker, err := dialFrom(client, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer marker.Close()
	marker.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := marker.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("a 51st connection from one address was not closed: %v", err)
	}
	open := 0
	for _, c := range held {
		// What the server did has arrived already: a closed one reads EOF at once, an open one has nothing.
		c.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err != nil && strings.Contains(err.Error(), "timeout") {
			open++
		}
	}
	if open != 20 {
		t.Errorf("one address holds %d connections, want 20 (MAX_CONNS_PER_CLIENT)", open)
	}
	if status, err := getFrom("127.0.0.2", p.base+"/posts/hello-world"); err != nil || status != 200 {
		t.Fatalf("another address while the first holds its share: %d, %v", status, err)
	}
	for _, c := range held {
		c.Close()
	}
	held = nil

	// Streams: 4 at most per address; a fifth is refused with 429. From another address, whose connections
	// are all free (the first one's are given back only when the server notices they closed).
	statuses := map[int]int{}
	var streams []net.Conn
	for range 6 {
		c, err := dialFrom("127.0.0.3", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /posts/hello-world/events HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		code, _ := strconv.Atoi(strings.Fields(string(buf[:n]) + " x 0")[1])
		statuses[code]++
		streams = append(streams, c)
	}
	if statuses[200] != 4 || statuses[429] != 2 {
		t.Errorf("streams from one address: %v, want 4 accepted and 2 refused", statuses)
	}
	if n := metric(t, metricsAddr, "blog_event_streams_open"); n != 4 {
		t.Errorf("open streams = %v, want 4", n)
	}
	// A client that closes its streams gives their places back within a couple of seconds, not after two
	// failed heartbeats (30 s).
	start := time.Now()
	for _, c := range streams {
		c.Close()
	}
	for metric(t, metricsAddr, "blog_event_streams_open") > 0 && time.Since(start) < 10*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	if n := metric(t, metricsAddr, "blog_event_streams_open"); n != 0 {
		t.Fatalf("%v streams still open 10 s after their clients left", n)
	}
	t.Logf("closed streams released after %v", time.Since(start).Round(10*time.Millisecond))
	for _, kind := range []string{"connection_per_client", "stream_per_client"} {
		if n := metric(t, metricsAddr, `blog_refused_total{kind="`+kind+`"}`); n == 0 {
			t.Errorf("refusals of kind %s not counted", kind)
		}
	}
	// Logged once per client, not once per refusal.
	if n := strings.Count(p.logs.String(), `msg="connection refused"`); n != 1 {
		t.Errorf("%d log lines for 31 refused connections of one client, want 1", n)
	}
}

// TestDescriptorExhaustionNeverStopsTheServer runs the program with 256 file descriptors and a connection
// budget set above that, then opens connections until accepting fails for want of descriptors: the server
// waits and carries on, and serves again once the connections close.
func TestDescriptorExhaustionNeverStopsTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped with -short (make test-short)")
	}
	if _, err := exec.LookPath("prlimit"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prlimit (util-linux) is not installed in CI")
		}
		t.Skip("prlimit (util-linux) not installed")
	}
	p := startProcWith(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "MAX_CONNECTIONS": "100000",
		"MAX_CONNS_PER_CLIENT": "100000"}, []string{"prlimit", "--nofile=256:256", "--"})
	addr := strings.TrimPrefix(p.base, "http://")
	var mu sync.Mutex
	var conns []net.Conn
	for range 600 {
		c, err := dialFrom("127.0.0.1", addr)
		if err != nil {
			break
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	// Until the server says it ran out; that it did not exit is shown below, by its serving again after.
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(p.logs.String(), "accepting connections failed") {
		select {
		case err := <-p.exit:
			t.Fatalf("the server exited when descriptors ran out: %v\n%s", err, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("descriptors never ran out (the test did not reach the limit):\n%.2000s", p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range conns {
		c.Close()
	}
	deadline = time.Now().Add(15 * time.Second)
	for {
		if status, err := getFrom("127.0.0.2", p.base+"/posts/hello-world"); err == nil && status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving again 15 s after the connections closed\n%.2000s", p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case err := <-p.exit:
		t.Fatalf("the server exited: %v", err)
	default:
	}
}

// TestSlowUploadsHoldLittleMemory sends 200 requests announcing 2 MB bodies and trickling them: each is refused
// from its Content-Length (413) before it is read, so the server's memory stays where it was.
func TestSlowUploadsHoldLittleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped with -short (make test-short)")
	}
	p := startProc(t, map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "MAX_CONNS_PER_CLIENT": "1000"})
	addr := strings.TrimPrefix(p.base, "http://")
	before := rssMiB(p.cmd.Process.Pid)
	var conns []net.Conn
	refused := 0
	for range 200 {
		c, err := dialFrom("127.0.0.1", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST /posts/hello-world/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\nusername=", 2<<20)
	}
	for _, c := range conns {
		c.Write([]byte(strings.Repeat("a", 4096))) // a little of the body, slowly
	}
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 32)
		if n, _ := c.Read(buf); strings.Contains(string(buf[:n]), " 413 ") {
			refused++
		}
	}
	after := rssMiB(p.cmd.Process.Pid)
	for _, c := range conns {
		c.Close()
	}
	t.Logf("RSS %.1f MiB before, %.1f MiB with 200 slow 2 MB uploads; %d refused with 413", before, after, refused)
	if refused != 200 {
		t.Errorf("%d of 200 oversized uploads answered 413", refused)
	}
	if after-before > 32 {
		t.Errorf("RSS grew by %.1f MiB for 200 refused uploads", after-before)
	}
}

// rssMiB reads a process's resident memory.
func rssMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}
