package load

import (
	"fmt"
	"slices"
	"time"

	"blog/cmd/bench/harness"
)

// MeasurePOST measures comment POSTs (as htmx sends them) on a post being read, with clients concurrent visitors.
func MeasurePOST(base, slug string, clients int, dur time.Duration) harness.Row {
	// The post is being read, as one that gets comments is: the server keeps its list current with every POST.
	harness.BrowserGET(base + "/posts/" + slug)
	visitors, err := harness.NewVisitors(base, clients)
	if err != nil {
		return harness.Row{Name: "comment POST", Note: err.Error()}
	}
	rps, lat, errs := harness.Hammer(clients, dur, func(w, i int) error {
		_, err := visitors[w].PostComment(base, slug, fmt.Sprintf("Bench%d", w), harness.RealisticComment(i*1000+w), true)
		return err
	})
	return harness.Row{Name: fmt.Sprintf("comment POST (htmx), %d concurrent clients", clients), Value: rps, Unit: "req/s",
		P50ms: harness.Percentile(lat, .5), P99ms: harness.Percentile(lat, .99), Note: fmt.Sprintf("SQLite; %d errors", errs)}
}

// ComparePOSTSize measures comment POSTs on a post with very many comments against POSTs on a post with few,
// with the same clients, in alternating rounds. Both posts are being read (their pages fetched first, so the
// server keeps both lists current), as a post that gets comments is. The ratio is the median of the rounds'
// cost ratios (time per POST on the large post ÷ on the small one): 1.0 means a post's size costs its writes
// nothing.
func ComparePOSTSize(base, small, large string, nLarge, clients int, dur time.Duration) harness.Row {
	const rounds = 6
	name := fmt.Sprintf("comment POST cost, post with %d comments ÷ with 100, c=%d", nLarge, clients)
	for _, slug := range []string{small, large} {
		if err := harness.BrowserGET(base + "/posts/" + slug); err != nil {
			return harness.Row{Name: name, Note: err.Error()}
		}
	}
	visitors, err := harness.NewVisitors(base, clients)
	if err != nil {
		return harness.Row{Name: name, Note: err.Error()}
	}
	post := func(slug string) (float64, []time.Duration, int) {
		return harness.Hammer(clients, dur/rounds, func(w, i int) error {
			_, err := visitors[w].PostComment(base, slug, fmt.Sprintf("Bench%d", w), harness.RealisticComment(i*1000+w), true)
			return err
		})
	}
	var ratios, smallRPS, largeRPS []float64
	var lat []time.Duration
	errs := 0
	for range rounds {
		s, _, se := post(small)
		l, ll, le := post(large)
		smallRPS, largeRPS, ratios = append(smallRPS, s), append(largeRPS, l), append(ratios, s/l)
		lat = append(lat, ll...)
		errs += se + le
	}
	slices.Sort(lat)
	return harness.Row{Name: name, Value: harness.Median(largeRPS), Unit: "req/s", Control: harness.Median(smallRPS), Ratio: harness.Median(ratios),
		P50ms: harness.Percentile(lat, .5), P99ms: harness.Percentile(lat, .99),
		Note: fmt.Sprintf("value: POSTs/s on the large post; control: on the post with 100; ratio: cost on the large ÷ on the small, median of %d alternating rounds; both posts' pages read first; the small one gains the rounds' comments too; %d errors", rounds, errs)}
}
