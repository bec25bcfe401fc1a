// Command bench measures the blog against controls measured in the same run: it starts the real binary on a
// temporary SQLite database, seeds posts with 0, 100 and 1,000 comments, drives it over loopback and prints one
// table (and writes JSON). Every load loop is bounded in count and time and talks only to 127.0.0.1.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Row is one measured figure, with its control and the ratio when there is one.
type Row struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Control float64 `json:"control,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"`
	P50ms   float64 `json:"p50_ms,omitempty"`
	P99ms   float64 `json:"p99_ms,omitempty"`
	Note    string  `json:"note,omitempty"`
}

type report struct {
	When    time.Time `json:"when"`
	Machine string    `json:"machine"`
	Rows    []Row     `json:"rows"`
}

func main() {
	if os.Getenv(controlChildEnv) != "" {
		if err := serveControl(); err != nil {
			fmt.Fprintln(os.Stderr, "bench control:", err)
			os.Exit(1)
		}
		return
	}
	binary := flag.String("binary", "bin/web", "the blog binary to measure")
	out := flag.String("out", "bench-results/latest.json", "where to write the JSON results")
	streams := flag.String("streams", "100,1000,10000", "open-stream levels for live delivery")
	duration := flag.Duration("duration", 6*time.Second, "how long each throughput measurement runs")
	before := flag.String("before", "", "an earlier build of the blog: measure only its pages against -binary's, in one run")
	liveOnly := flag.Int("live", 0, "measure only live delivery and server memory with this many open streams")
	pagesOnly := flag.Bool("pages", false, "measure only the pages, the revalidation and the POSTs (skip streams, moderation, abuse)")
	postsOnly := flag.Bool("posts", false, "measure only the comment POSTs (on a post with 100 comments and on the large post)")
	large := flag.Int("large", 50000, "comments on the large post, imported before the server starts (0: no large post)")
	imports := flag.Int("import", 0, "measure only `web import` of a generated Disqus export with this many comments")
	wal := flag.Duration("wal", 60*time.Second, "how long comments are posted while the SQLite log is measured (0: not measured)")
	walOnly := flag.Bool("wal-only", false, "measure only the SQLite log under comment POSTs (see -wal)")
	hostileOnly := flag.Bool("hostile", false, "measure only the anonymous GETs over 400 hostile comments and a 3,000-reply conversation")
	flag.Parse()
	if *hostileOnly {
		printRows(measureHostile(context.Background(), *binary))
		return
	}
	if *walOnly {
		printRows(walOnlyRun(*binary, 32, *wal))
		return
	}
	if *imports > 0 {
		printRows(benchImport(*binary, *imports))
		return
	}
	if *before != "" {
		printRows(compareBinaries(context.Background(), *before, *binary, *duration))
		return
	}
	if *liveOnly > 0 {
		printRows(liveOnlyRun(*binary, *liveOnly))
		return
	}
	if *pagesOnly || *postsOnly {
		*streams = ""
	}
	o := options{binary: *binary, out: *out, streams: *streams, dur: *duration, large: *large,
		pages: !*postsOnly, rest: !*pagesOnly && !*postsOnly, wal: *wal}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// printRows prints the rows of a partial run, or its error and exits.
func printRows(rows []Row, err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	for _, r := range rows {
		printRow(r)
	}
}

// options say what run measures.
type options struct {
	binary, out, streams string
	dur                  time.Duration
	large                int           // comments on the large post (0: none)
	pages                bool          // the pages against the control (else only the POSTs)
	rest                 bool          // moderation, abuse and the cross-instance delivery
	wal                  time.Duration // how long the SQLite log is measured under POSTs (0: not)
}

func run(o options) error {
	binary, out, streamLevels, dur := o.binary, o.out, o.streams, o.dur
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "blog-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeContent(filepath.Join(dir, "content")); err != nil {
		return err
	}
	rep := &report{When: time.Now().UTC(), Machine: machine()}
	add := func(r Row) { rep.Rows = append(rep.Rows, r); printRow(r) }
	fmt.Printf("%-52s %14s %14s %8s %9s %9s  %s\n", "figure", "value", "control", "ratio", "p50 ms", "p99 ms", "note")

	if st, err := os.Stat(binary); err == nil {
		add(Row{Name: "binary size", Value: float64(st.Size()) / 1e6, Unit: "MB", Note: "target <= 30 MB"})
	}
	// Cold start and idle memory on a new database file, in a server of their own.
	fresh, err := startServer(ctx, binary, dir, "DATABASE_URL=sqlite:"+filepath.Join(dir, "cold.db"))
	if err != nil {
		return err
	}
	add(Row{Name: "cold start to first successful page", Value: float64(fresh.coldStart.Microseconds()) / 1000, Unit: "ms",
		Note: "new SQLite file: includes migrations"})
	time.Sleep(500 * time.Millisecond)
	add(Row{Name: "idle RSS", Value: rssMiB(fresh.cmd.Process.Pid), Unit: "MiB", Note: "target <= 30 MiB"})
	fresh.stop()
	if o.large > 0 {
		if err := prepareLarge(binary, dir, o.large); err != nil {
			return err
		}
	}
	srv, err := startServer(ctx, binary, dir)
	if err != nil {
		return err
	}
	defer srv.stop()

	if err := seed(ctx, srv, map[string]int{"hundred": 100, "thousand": 1000}); err != nil {
		return err
	}
	if o.pages {
		if err := measurePages(srv, dur, add); err != nil {
			return err
		}
	}
	for _, c := range []int{1, 8, 32} {
		add(measurePOST(srv.base, "hundred", c, dur))
	}
	if o.large > 0 {
		if err := seed(ctx, srv, map[string]int{"small": 100}); err != nil {
			return err
		}
		add(comparePOSTSize(srv.base, "small", "large", o.large, 8, dur))
	}
	if o.wal > 0 {
		for _, r := range measureWAL(srv, "hundred", 32, o.wal) {
			add(r)
		}
	}
	for _, s := range strings.Split(streamLevels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			continue
		}
		rows, err := measureLive(srv, "zero", n)
		if err != nil {
			return err
		}
		for _, r := range rows {
			add(r)
		}
	}
	if !o.rest {
		return writeReport(rep, out)
	}
	if rows, err := measureModeration(srv, binary, "hundred", 1000); err != nil {
		fmt.Fprintln(os.Stderr, "bench: moderation:", err)
	} else {
		for _, r := range rows {
			add(r)
		}
	}
	if rows, err := measureHostile(ctx, binary); err != nil {
		fmt.Fprintln(os.Stderr, "bench: hostile:", err)
	} else {
		for _, r := range rows {
			add(r)
		}
	}
	if rows, err := measureAbuse(ctx, binary); err != nil {
		fmt.Fprintln(os.Stderr, "bench: abuse:", err)
	} else {
		for _, r := range rows {
			add(r)
		}
	}
	if url := os.Getenv("TEST_DATABASE_URL"); url != "" {
		rows, err := measureCrossInstance(ctx, binary, dir, url)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: cross-instance:", err)
		}
		for _, r := range rows {
			add(r)
		}
	}
	return writeReport(rep, out)
}

func writeReport(rep *report, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Println("machine:", rep.Machine, "·", rep.When.Format(time.DateOnly))
	fmt.Println("results written to", out)
	return nil
}

func printRow(r Row) {
	f := func(v float64) string {
		if v == 0 {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	val := f(r.Value) + " " + r.Unit
	ctl := "-"
	if r.Control != 0 {
		ctl = f(r.Control) + " " + r.Unit
	}
	fmt.Printf("%-52s %14s %14s %8s %9s %9s  %s\n", r.Name, val, ctl, f(r.Ratio), f(r.P50ms), f(r.P99ms), r.Note)
}

func machine() string {
	cpu := "unknown cpu"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	var si syscall.Sysinfo_t
	syscall.Sysinfo(&si)
	return fmt.Sprintf("%d cores (%s), %.0f GiB", numCPU(), cpu, float64(si.Totalram)/(1<<30))
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
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

// cpuSeconds is the CPU time (user and system) a process has used so far.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces) in parentheses; utime and stime are the 14th
	// and 15th of the whole line, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}

// server is one running blog process.
type server struct {
	cmd       *exec.Cmd
	base      string
	dbPath    string
	coldStart time.Duration
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startServer runs the binary like an operator would and waits for its first page.
func startServer(ctx context.Context, binary, dir string, extraEnv ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dbPath := filepath.Join(dir, "bench.db")
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = append(os.Environ(), "ADDR="+addr, "DATABASE_URL=sqlite:"+dbPath, "CONTENT_DIR="+filepath.Join(dir, "content"),
		"LOG_LEVEL=error", "RATE_LIMIT=off", "SPAM_MIN_SECONDS=0", "MAX_CONNS_PER_CLIENT=100000", "MAX_STREAMS_PER_CLIENT=100000", "PPROF_ADDR="+os.Getenv("BENCH_PPROF_ADDR"))
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr, dbPath: dbPath}
	for time.Since(start) < 30*time.Second {
		resp, err := http.Get(s.base + "/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				s.coldStart = time.Since(start)
				return s, nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("server did not serve its home page within 30s")
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
	}
}

// measurePages measures the pages against the control serving the same bytes, and the revalidation.
func measurePages(srv *server, dur time.Duration, add func(Row)) error {
	for _, r := range firstVisit(srv.base + "/posts/hundred") {
		add(r)
	}
	pages := []struct{ name, path string }{
		{"home page GET", "/"},
		{"post page GET (0 comments)", "/posts/zero"},
		{"post page GET (100 comments)", "/posts/hundred"},
		{"post page GET (1,000 comments)", "/posts/thousand"},
	}
	captures := map[string]captured{}
	for _, p := range pages {
		var err error
		if captures[p.path], err = capture(srv.base + p.path); err != nil {
			return err
		}
	}
	add(Row{Name: "post page with 100 comments, as sent", Value: float64(len(captures["/posts/hundred"].body)) / 1024, Unit: "KiB",
		Note: "encoding " + captures["/posts/hundred"].encoding})
	ctl, err := startControl(captures, nil)
	if err != nil {
		return err
	}
	defer ctl.stop()
	for _, p := range pages {
		for _, c := range []int{1, 32} {
			add(comparePage(srv.base, ctl, p.name, p.path, c, dur))
		}
	}
	add(revalidate(srv.base + "/posts/hundred"))
	return nil
}

func writeContent(dir string) error {
	for _, d := range []string{"posts", "pages"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	body := strings.Repeat("A paragraph of text about something worth reading, with *emphasis* and `code`.\n\n", 30)
	for i, slug := range []string{"zero", "hundred", "thousand"} {
		src := fmt.Sprintf("---\ntitle: Post %s\ndate: 2026-11-%02d\nsummary: A post with %s comments.\n---\n\n%s", slug, i+1, slug, body)
		if err := os.WriteFile(filepath.Join(dir, "posts", fmt.Sprintf("2026-11-%02d-%s.md", i+1, slug)), []byte(src), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "pages", "about.md"), []byte("---\ntitle: About\n---\nAbout."), 0o644)
}

// liveOnlyRun starts a server and measures live delivery and memory with n open streams, alone.
func liveOnlyRun(binary string, n int) ([]Row, error) {
	dir, err := os.MkdirTemp("", "blog-bench-live-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := writeContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	srv, err := startServer(context.Background(), binary, dir)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	time.Sleep(500 * time.Millisecond)
	rows := []Row{{Name: "idle RSS", Value: rssMiB(srv.cmd.Process.Pid), Unit: "MiB"}}
	more, err := measureLive(srv, "zero", n)
	return append(rows, more...), err
}
