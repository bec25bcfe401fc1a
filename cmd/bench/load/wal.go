package load

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"blog/cmd/bench/harness"
)

// walQuiet is how long the server is left without writes after the load before the log is measured again.
const walQuiet = 10 * time.Second

// MeasureWAL posts comments as fast as clients can for dur while a reader keeps fetching the post's page and
// its fresh list, samples the size of the SQLite write-ahead log (its file, as the disk holds it) every 10 ms, then
// leaves the server without writes for walQuiet. The rows: the log's peak size during the load (with the POST
// rate it sustained), its size at the end of the quiet, and how long after the load it first fell under 4 MiB.
func MeasureWAL(srv *harness.Server, slug string, clients int, dur time.Duration) []harness.Row {
	wal := srv.DBPath + "-wal"
	size := func() int64 {
		st, err := os.Stat(wal)
		if err != nil {
			return 0
		}
		return st.Size()
	}
	name := fmt.Sprintf("SQLite log: peak size during %v of comment POSTs, c=%d", dur, clients)
	if err := harness.BrowserGET(srv.Base + "/posts/" + slug); err != nil {
		return []harness.Row{{Name: name, Note: err.Error()}}
	}
	visitors, err := harness.NewVisitors(srv.Base, clients)
	if err != nil {
		return []harness.Row{{Name: name, Note: err.Error()}}
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if s := size(); s > peak.Load() {
				peak.Store(s)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	// A reader, as a post being commented on has: its page and its list read while the comments arrive.
	wg.Go(func() {
		for i := 0; i < 1_000_000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			harness.BrowserGET(srv.Base + "/posts/" + slug)
			harness.BrowserGET(srv.Base + "/posts/" + slug + "/comments/fresh")
			time.Sleep(50 * time.Millisecond)
		}
	})
	rps, lat, errs := harness.Hammer(clients, dur, func(w, i int) error {
		_, err := visitors[w].PostComment(srv.Base, slug, fmt.Sprintf("Wal%d", w), harness.RealisticComment(i*1000+w), true)
		return err
	})
	close(stop)
	wg.Wait()
	loadEnd := time.Now()
	below := time.Duration(-1)
	for time.Since(loadEnd) < walQuiet {
		if below < 0 && size() < 4<<20 {
			below = time.Since(loadEnd)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	db, _ := os.Stat(srv.DBPath)
	var dbSize int64
	if db != nil {
		dbSize = db.Size()
	}
	rows := []harness.Row{
		{Name: name, Value: mib(peak.Load()), Unit: "MiB", P50ms: harness.Percentile(lat, .5), P99ms: harness.Percentile(lat, .99),
			Note: fmt.Sprintf("%.0f POSTs/s with a reader; %d errors; database %.1f MiB", rps, errs, mib(dbSize))},
		{Name: fmt.Sprintf("SQLite log: size after %v without writes", walQuiet), Value: mib(size()), Unit: "MiB"},
	}
	r := harness.Row{Name: "SQLite log: time after the load until under 4 MiB", Unit: "s"}
	if below < 0 {
		r.Note = fmt.Sprintf("still over 4 MiB after %v", walQuiet)
	} else {
		r.Value = below.Seconds()
	}
	return append(rows, r)
}
