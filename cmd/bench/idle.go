package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"blog/cmd/bench/harness"
)

// idleRun measures what make bench's first rows measure, the binary's size and its resident memory 500 ms after
// a cold start on a new SQLite file (the first page served), for binary and, when before is set, an earlier
// build, started n times each in alternating order: medians, with the resident memory split into the binary's
// pages the process touched (RssFile) and the memory it allocated (RssAnon).
func idleRun(binary, before string, n int) ([]harness.Row, error) {
	dir, err := os.MkdirTemp("", "blog-bench-idle-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	bins := []string{binary}
	if before != "" {
		bins = []string{before, binary}
	}
	type sample struct{ rss, file, anon []float64 }
	samples := make([]sample, len(bins))
	for i := range n {
		for j, bin := range bins {
			db := filepath.Join(dir, fmt.Sprintf("cold-%d-%d.db", i, j))
			srv, err := harness.StartServer(context.Background(), bin, dir, "DATABASE_URL=sqlite:"+db)
			if err != nil {
				return nil, err
			}
			time.Sleep(500 * time.Millisecond)
			pid := srv.Cmd.Process.Pid
			samples[j].rss = append(samples[j].rss, harness.RSSMiB(pid))
			samples[j].file = append(samples[j].file, statusMiB(pid, "RssFile"))
			samples[j].anon = append(samples[j].anon, statusMiB(pid, "RssAnon"))
			srv.Stop()
		}
	}
	var rows []harness.Row
	for j, bin := range bins {
		name := "this build"
		if before != "" && j == 0 {
			name = "-before"
		}
		if st, err := os.Stat(bin); err == nil {
			rows = append(rows, harness.Row{Name: "binary size, " + name, Value: float64(st.Size()) / 1e6, Unit: "MB", Note: "target <= 30 MB"})
		}
		note := fmt.Sprintf("median of %d alternating starts", n)
		rows = append(rows,
			harness.Row{Name: "idle RSS, " + name, Value: harness.Median(samples[j].rss), Unit: "MiB", Note: "target <= 30 MiB; " + note},
			harness.Row{Name: "  of which the binary's pages, " + name, Value: harness.Median(samples[j].file), Unit: "MiB", Note: note},
			harness.Row{Name: "  of which allocated memory, " + name, Value: harness.Median(samples[j].anon), Unit: "MiB", Note: note})
	}
	return rows, nil
}

// statusMiB reads one of a process's memory figures (in kB) from /proc/PID/status, in MiB.
func statusMiB(pid int, key string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, key+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
