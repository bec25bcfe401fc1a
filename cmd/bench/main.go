// Command bench measures the blog against controls measured in the same run: it starts the real binary on a
// temporary SQLite database, seeds posts with 0, 100 and 1,000 comments, drives it over loopback and prints one
// table (and writes JSON). Every load loop is bounded in count and time and talks only to 127.0.0.1.
//
// This file parses the flags and runs the scenarios in order; the scenarios live in the packages beside it (load,
// streams, hostile, imports) and share cmd/bench/harness.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"blog/cmd/bench/federation"
	"blog/cmd/bench/harness"
	"blog/cmd/bench/hostile"
	"blog/cmd/bench/imports"
	"blog/cmd/bench/letters"
	"blog/cmd/bench/load"
	"blog/cmd/bench/search"
	"blog/cmd/bench/streams"
)

func main() {
	if os.Getenv(harness.ControlChildEnv) != "" {
		if err := harness.ServeControl(); err != nil {
			fmt.Fprintln(os.Stderr, "bench control:", err)
			os.Exit(1)
		}
		return
	}
	binary := flag.String("binary", "bin/web", "the blog binary to measure")
	out := flag.String("out", "bench-results/latest.json", "where to write the JSON results")
	streamLevels := flag.String("streams", "100,1000,10000", "open-stream levels for live delivery")
	duration := flag.Duration("duration", 6*time.Second, "how long each throughput measurement runs")
	before := flag.String("before", "", "an earlier build of the blog: measure only its pages against -binary's, in one run (with -idle: its size and idle memory)")
	idle := flag.Int("idle", 0, "measure only the binary's size and idle RSS, over this many cold starts (alternating with -before's)")
	liveOnly := flag.Int("live", 0, "measure only live delivery and server memory with this many open streams")
	reactionsOnly := flag.Int("reactions", 0, "measure only the delivery of reactions with this many open streams")
	pagesOnly := flag.Bool("pages", false, "measure only the pages, the revalidation and the POSTs (skip streams, moderation, abuse)")
	postsOnly := flag.Bool("posts", false, "measure only the comment POSTs (on a post with 100 comments and on the large post)")
	large := flag.Int("large", 50000, "comments on the large post, imported before the server starts (0: no large post)")
	importN := flag.Int("import", 0, "measure only `web import` of a generated Disqus export with this many comments")
	wal := flag.Duration("wal", 60*time.Second, "how long comments are posted while the SQLite log is measured (0: not measured)")
	walOnly := flag.Bool("wal-only", false, "measure only the SQLite log under comment POSTs (see -wal)")
	hostileOnly := flag.Bool("hostile", false, "measure only the anonymous GETs over 400 hostile comments and a 3,000-reply conversation")
	deskOnly := flag.Bool("desk", false, "measure only the desk's live preview of a 5,000-word post")
	searchOnly := flag.Bool("search", false, "measure only the search: 1,000 posts and 100,000 comments, on SQLite and PostgreSQL (TEST_DATABASE_URL)")
	federationN := flag.Int("federation", 0, "measure only ActivityPub: a post queued and delivered to this many followers on n/20 servers, and the inbox")
	lettersN := flag.Int("letters", 0, "measure only posts by email to this many subscribers: queueing, sending, a restart")
	perMinute := flag.Int("mail-per-minute", 30000, "MAIL_PER_MINUTE for -letters")
	flag.Parse()
	if *federationN > 0 {
		printRows(federation.Measure(*binary, *federationN, 2000))
		return
	}
	if *lettersN > 0 {
		printRows(letters.Measure(*binary, *lettersN, *perMinute))
		return
	}
	if *searchOnly {
		printRows(search.Measure(context.Background(), *binary, os.Getenv("TEST_DATABASE_URL"), *duration))
		return
	}
	if *deskOnly {
		printRows(deskOnlyRun(*binary, *duration))
		return
	}
	if *hostileOnly {
		printRows(hostile.MeasureComments(context.Background(), *binary))
		return
	}
	if *walOnly {
		printRows(walOnlyRun(*binary, 32, *wal))
		return
	}
	if *importN > 0 {
		printRows(imports.Measure(*binary, *importN))
		return
	}
	if *idle > 0 {
		printRows(idleRun(*binary, *before, *idle))
		return
	}
	if *before != "" {
		printRows(load.CompareBinaries(context.Background(), *before, *binary, *duration))
		return
	}
	if *liveOnly > 0 {
		printRows(liveOnlyRun(*binary, *liveOnly))
		return
	}
	if *reactionsOnly > 0 {
		printRows(reactionsOnlyRun(*binary, *reactionsOnly))
		return
	}
	if *pagesOnly || *postsOnly {
		*streamLevels = ""
	}
	o := options{binary: *binary, out: *out, streams: *streamLevels, dur: *duration, large: *large,
		pages: !*postsOnly, rest: !*pagesOnly && !*postsOnly, wal: *wal}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// printRows prints the rows of a partial run, or its error and exits.
func printRows(rows []harness.Row, err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	for _, r := range rows {
		harness.PrintRow(r)
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
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return err
	}
	rep := &harness.Report{When: time.Now().UTC(), Machine: harness.Machine()}
	add := func(r harness.Row) { rep.Rows = append(rep.Rows, r); harness.PrintRow(r) }
	// addAll adds a scenario's rows, or says why it has none (the other scenarios still run):
	// addAll("name")(scenario(...)).
	addAll := func(what string) func([]harness.Row, error) {
		return func(rows []harness.Row, err error) {
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s: %v\n", what, err)
				return
			}
			for _, r := range rows {
				add(r)
			}
		}
	}
	harness.PrintHeader()

	if st, err := os.Stat(binary); err == nil {
		add(harness.Row{Name: "binary size", Value: float64(st.Size()) / 1e6, Unit: "MB", Note: "target <= 30 MB"})
	}
	// Cold start and idle memory on a new database file, in a server of their own.
	fresh, err := harness.StartServer(ctx, binary, dir, "DATABASE_URL=sqlite:"+filepath.Join(dir, "cold.db"))
	if err != nil {
		return err
	}
	add(harness.Row{Name: "cold start to first successful page", Value: float64(fresh.ColdStart.Microseconds()) / 1000, Unit: "ms",
		Note: "new SQLite file: includes migrations"})
	time.Sleep(500 * time.Millisecond)
	add(harness.Row{Name: "idle RSS", Value: harness.RSSMiB(fresh.Cmd.Process.Pid), Unit: "MiB", Note: "target <= 30 MiB"})
	fresh.Stop()
	if o.large > 0 {
		if err := imports.PrepareLarge(binary, dir, o.large); err != nil {
			return err
		}
	}
	srv, err := harness.StartServer(ctx, binary, dir)
	if err != nil {
		return err
	}
	defer srv.Stop()

	if err := harness.Seed(ctx, srv, map[string]int{"hundred": 100, "thousand": 1000}); err != nil {
		return err
	}
	if o.pages {
		if err := load.MeasurePages(srv, dur, add); err != nil {
			return err
		}
	}
	for _, c := range []int{1, 8, 32} {
		add(load.MeasurePOST(srv.Base, "hundred", c, dur))
	}
	add(load.MeasureDeskPreview(srv, binary, dur))
	if o.large > 0 {
		if err := harness.Seed(ctx, srv, map[string]int{"small": 100}); err != nil {
			return err
		}
		add(load.ComparePOSTSize(srv.Base, "small", "large", o.large, 8, dur))
	}
	if o.wal > 0 {
		for _, r := range load.MeasureWAL(srv, "hundred", 32, o.wal) {
			add(r)
		}
	}
	for _, s := range strings.Split(streamLevels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			continue
		}
		rows, err := streams.MeasureLive(srv, "zero", n)
		if err != nil {
			return err
		}
		for _, r := range rows {
			add(r)
		}
	}
	if !o.rest {
		return harness.WriteReport(rep, out)
	}
	addAll("reactions")(streams.MeasureReactions(srv, "hundred", 1000))
	addAll("moderation")(streams.MeasureModeration(srv, binary, "hundred", 1000))
	addAll("hostile")(hostile.MeasureComments(ctx, binary))
	addAll("abuse")(hostile.MeasureAbuse(ctx, binary))
	addAll("search")(search.Measure(ctx, binary, os.Getenv("TEST_DATABASE_URL"), dur))
	addAll("newsletter")(letters.Measure(binary, 10000, 30000))
	addAll("activitypub")(federation.Measure(binary, 10000, 2000))
	if url := os.Getenv("TEST_DATABASE_URL"); url != "" {
		rows, err := streams.MeasureCrossInstance(ctx, binary, dir, url)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: cross-instance:", err)
		}
		for _, r := range rows {
			add(r)
		}
	}
	return harness.WriteReport(rep, out)
}

// reactionsOnlyRun starts a server and measures only the delivery of reactions to n open streams.
func reactionsOnlyRun(binary string, n int) ([]harness.Row, error) {
	dir, err := os.MkdirTemp("", "blog-bench-reactions-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	srv, err := harness.StartServer(context.Background(), binary, dir)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	time.Sleep(500 * time.Millisecond)
	return streams.MeasureReactions(srv, "zero", n)
}

// liveOnlyRun starts a server and measures live delivery and memory with n open streams, alone.
func liveOnlyRun(binary string, n int) ([]harness.Row, error) {
	dir, err := os.MkdirTemp("", "blog-bench-live-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	srv, err := harness.StartServer(context.Background(), binary, dir)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	time.Sleep(500 * time.Millisecond)
	rows := []harness.Row{{Name: "idle RSS", Value: harness.RSSMiB(srv.Cmd.Process.Pid), Unit: "MiB"}}
	more, err := streams.MeasureLive(srv, "zero", n)
	return append(rows, more...), err
}

// walOnlyRun starts a server on a new database and measures only the write-ahead log under comment POSTs.
func walOnlyRun(binary string, clients int, dur time.Duration) ([]harness.Row, error) {
	dir, err := os.MkdirTemp("", "blog-bench-wal-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	srv, err := harness.StartServer(context.Background(), binary, dir)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	if err := harness.Seed(context.Background(), srv, map[string]int{"hundred": 100}); err != nil {
		return nil, err
	}
	return load.MeasureWAL(srv, "hundred", clients, dur), nil
}

// deskOnlyRun starts a server and measures only the desk's live preview.
func deskOnlyRun(binary string, dur time.Duration) ([]harness.Row, error) {
	dir, err := os.MkdirTemp("", "blog-bench-desk-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	srv, err := harness.StartServer(context.Background(), binary, dir)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	return []harness.Row{load.MeasureDeskPreview(srv, binary, dur)}, nil
}
