package harness

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Hammer runs workers concurrent loops of fn for dur and returns requests/s, sorted latencies and the number of
// failed calls.
func Hammer(workers int, dur time.Duration, fn func(worker, i int) error) (float64, []time.Duration, int) {
	var mu sync.Mutex
	var all []time.Duration
	var errs atomic.Int64
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for i := 0; time.Now().Before(deadline) && i < 1_000_000; i++ {
				t := time.Now()
				if err := fn(w, i); err != nil {
					errs.Add(1)
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	return float64(len(all)) / elapsed.Seconds(), all, int(errs.Load())
}

// Median is the median of v (0 when v is empty).
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Percentile is the p-th quantile (0 to 1) of sorted latencies, in milliseconds.
func Percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return float64(sorted[i].Microseconds()) / 1000
}
