package streams

import (
	"fmt"
	"time"

	"blog/cmd/bench/harness"
)

// MeasureReactions posts k comments, opens n streams on their post, then reacts to each comment once, gap
// apart, and measures when each reaction (the comment with its new counts) reaches every stream: a reaction
// travels the comments' path (written with its change, announced after commit, rendered once, handed to
// every stream), so its figure sits beside the comments'.
func MeasureReactions(s *harness.Server, slug string, n int) ([]harness.Row, error) {
	const k, gap = 20, 100 * time.Millisecond
	v, err := harness.NewVisitor(s.Base)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, k)
	for i := range ids {
		if ids[i], err = v.PostComment(s.Base, slug, "Reacted", harness.RealisticComment(i), false); err != nil {
			return nil, err
		}
	}
	ss, err := openStreams(s.Base, "/posts/"+slug+"/events", n)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	time.Sleep(time.Duration(n/1000+1) * 500 * time.Millisecond) // let every stream subscribe
	cpu0 := harness.CPUSeconds(s.Cmd.Process.Pid)
	d, err := ss.deliver(k, gap, func(i int) (int64, error) {
		return ids[i], v.React(s.Base, slug, ids[i], "like")
	})
	if err != nil {
		return nil, err
	}
	perReaction := (harness.CPUSeconds(s.Cmd.Process.Pid) - cpu0) / float64(k) * 1000
	label := fmt.Sprintf("%d open streams", n)
	return []harness.Row{
		{Name: "reaction delivery after POST sent, " + label, Value: float64(len(d.fromStart)), Unit: "deliveries",
			P50ms: harness.Percentile(d.fromStart, .5), P99ms: harness.Percentile(d.fromStart, .99),
			Note: fmt.Sprintf("%d reactions x %d streams, %d missing; until the comment with its new counts reached the reader's socket; includes the POST (median %.1f ms as its client saw it)",
				k, n, d.missing, harness.Percentile(d.took, .5))},
		{Name: "reaction read by the readers after POST sent, " + label, Value: float64(len(d.readFromStart)), Unit: "deliveries",
			P50ms: harness.Percentile(d.readFromStart, .5), P99ms: harness.Percentile(d.readFromStart, .99)},
		{Name: "server CPU per reaction delivered to " + label, Value: perReaction, Unit: "ms",
			Note: "the POST and its delivery to every stream"},
	}, nil
}
