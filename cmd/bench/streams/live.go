package streams

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"blog/cmd/bench/harness"
	"blog/database"
)

// MeasureLive opens n streams on a post, posts comments one by one, and measures when each reaches every stream.
// Then the same event, as the blog sent it, goes to n streams of the stream control, a plain net/http server:
// the ceiling for delivering it on this machine, with the same readers.
func MeasureLive(s *harness.Server, slug string, n int) ([]harness.Row, error) {
	ss, err := openStreams(s.Base, "/posts/"+slug+"/events", n)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	time.Sleep(time.Duration(n/1000+1) * 500 * time.Millisecond) // let every stream subscribe
	// What the open streams cost while nothing happens (heartbeats aside).
	cpu0, idle := harness.CPUSeconds(s.Cmd.Process.Pid), 3*time.Second
	time.Sleep(idle)
	idleCPU := (harness.CPUSeconds(s.Cmd.Process.Pid) - cpu0) / idle.Seconds() * 100
	k, gap := 20, 100*time.Millisecond
	if n >= 5000 {
		k, gap = 10, 400*time.Millisecond
	}
	v, err := harness.NewVisitor(s.Base)
	if err != nil {
		return nil, err
	}
	cpu0 = harness.CPUSeconds(s.Cmd.Process.Pid)
	d, err := ss.deliver(k, gap, func(i int) (int64, error) {
		return v.PostComment(s.Base, slug, "Live", harness.RealisticComment(i), false)
	})
	if err != nil {
		return nil, err
	}
	// The server's CPU per comment: the POST, and the delivery to every stream (idle time between comments
	// costs almost nothing, as the idle row shows).
	perComment := (harness.CPUSeconds(s.Cmd.Process.Pid) - cpu0) / float64(k) * 1000
	rss := harness.RSSMiB(s.Cmd.Process.Pid)
	label := fmt.Sprintf("%d open streams", n)
	rows := []harness.Row{
		{Name: "live delivery after POST sent, " + label, Value: float64(len(d.fromStart)), Unit: "deliveries",
			P50ms: harness.Percentile(d.fromStart, .5), P99ms: harness.Percentile(d.fromStart, .99),
			Note: fmt.Sprintf("%d comments x %d streams, %d missing; until the event reached the reader's socket (kernel time); includes the POST (median %.1f ms as its client saw it)",
				k, n, d.missing, harness.Percentile(d.took, .5))},
		{Name: "live delivery after POST response, " + label, Value: float64(len(d.fromResp)), Unit: "deliveries",
			P50ms: harness.Percentile(d.fromResp, .5), P99ms: harness.Percentile(d.fromResp, .99),
			Note: "reached the socket before the poster read the answer: counted 0"},
		{Name: "read by the readers after POST sent, " + label, Value: float64(len(d.readFromStart)), Unit: "deliveries",
			P50ms: harness.Percentile(d.readFromStart, .5), P99ms: harness.Percentile(d.readFromStart, .99),
			Note: "adds the readers' own wait for a core: the load generator's, on the server's two cores"},
		{Name: "server RSS with " + label, Value: rss, Unit: "MiB"},
		{Name: "server CPU while " + label + " idle", Value: idleCPU, Unit: "% of a core", Note: "over 3 s, nothing posted"},
		{Name: "server CPU per comment delivered to " + label, Value: perComment, Unit: "ms",
			Note: "the POST and its delivery to every stream (clock ticks of 10 ms: read over all comments)"},
	}
	ss.mu.Lock()
	frame := ss.frame
	ss.mu.Unlock()
	ss.close()
	if frame == nil {
		return rows, nil
	}
	ctl, err := measureStreamControl(frame, n, k, gap)
	if err != nil {
		return rows, err
	}
	return append(rows,
		harness.Row{Name: "control: same event after trigger sent, " + label, Value: float64(len(ctl.fromStart)),
			Unit: "deliveries", P50ms: harness.Percentile(ctl.fromStart, .5), P99ms: harness.Percentile(ctl.fromStart, .99),
			Note: fmt.Sprintf("plain net/http, goroutine and channel per stream, same readers, socket arrival; trigger answered after the hand-out (median %.1f ms); %d missing",
				harness.Percentile(ctl.took, .5), ctl.missing)},
		harness.Row{Name: "control: read by the readers after trigger sent, " + label, Value: float64(len(ctl.readFromStart)),
			Unit: "deliveries", P50ms: harness.Percentile(ctl.readFromStart, .5), P99ms: harness.Percentile(ctl.readFromStart, .99)}), nil
}

// measureStreamControl opens n streams on the stream control and has it send frame (the comment's id changed
// each time) k times, gap apart.
func measureStreamControl(frame []byte, n, k int, gap time.Duration) (delivery, error) {
	ctl, err := harness.StartControl(nil, frame)
	if err != nil {
		return delivery{}, err
	}
	defer ctl.Stop()
	ss, err := openStreams(ctl.Base, "/events", n)
	if err != nil {
		return delivery{}, err
	}
	defer ss.close()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if harness.ControlStreamCount(ctl.Base) >= n {
			break
		}
	}
	time.Sleep(time.Duration(n/1000+1) * 500 * time.Millisecond)
	return ss.deliver(k, gap, func(i int) (int64, error) {
		id := int64(1_000_000 + i)
		resp, err := harness.Client.Post(ctl.Base+"/send?id="+strconv.FormatInt(id, 10), "text/plain", nil)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return id, nil
	})
}

// MeasureCrossInstance starts two instances on a fresh PostgreSQL database and measures delivery from a POST on
// one to streams on the other.
func MeasureCrossInstance(ctx context.Context, binary, dir, adminURL string) ([]harness.Row, error) {
	dbURL, drop, err := database.CreateDatabase(ctx, adminURL, fmt.Sprintf("blogbench_%d", time.Now().UnixNano()%1e9))
	if err != nil {
		return nil, err
	}
	defer drop()
	env := "DATABASE_URL=" + dbURL
	a, err := harness.StartServer(ctx, binary, dir, env)
	if err != nil {
		return nil, err
	}
	defer a.Stop()
	b, err := harness.StartServer(ctx, binary, dir, env)
	if err != nil {
		return nil, err
	}
	defer b.Stop()
	ss, err := openStreams(b.Base, "/posts/zero/events", 100)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	time.Sleep(500 * time.Millisecond)
	v, err := harness.NewVisitor(a.Base)
	if err != nil {
		return nil, err
	}
	var posts []sent
	for i := range 20 {
		t := time.Now()
		id, err := v.PostComment(a.Base, "zero", "Cross", fmt.Sprintf("Cross-instance comment %d", i), false)
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
	return []harness.Row{{Name: "cross-instance delivery (PostgreSQL), 100 streams", Value: float64(len(lat)), Unit: "deliveries",
		P50ms: harness.Percentile(lat, .5), P99ms: harness.Percentile(lat, .99),
		Note: fmt.Sprintf("POST on instance A, streams on B; %d missing", 2000-len(lat))}}, nil
}
