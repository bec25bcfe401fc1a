package streams

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"blog/cmd/bench/harness"
)

// MeasureModeration opens n streams on a post with comments and has the owner delete comments one by one
// through the console, measuring when each removal reaches every stream.
func MeasureModeration(s *harness.Server, binary, slug string, n int) ([]harness.Row, error) {
	o, err := harness.SignInOwner(s, binary)
	if err != nil {
		return nil, err
	}
	resp, err := harness.Client.Get(s.Base + "/posts/" + slug)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	var ids []int64
	for _, m := range harness.CommentID.FindAllStringSubmatch(page, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
	}
	const k = 10
	if len(ids) < k {
		return nil, fmt.Errorf("post %s has %d comments, want %d to delete", slug, len(ids), k)
	}
	ss, err := openStreams(s.Base, "/posts/"+slug+"/events", n)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	time.Sleep(time.Duration(n/1000+1) * 500 * time.Millisecond) // let every stream subscribe
	var acts []sent
	for _, id := range ids[:k] {
		t := time.Now()
		resp, err := o.HTTP.PostForm(s.Base+"/admin/comments", url.Values{"one": {"delete:" + strconv.FormatInt(id, 10)}, "_csrf": {o.Token}})
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return nil, fmt.Errorf("delete %d: status %d", id, resp.StatusCode)
		}
		acts = append(acts, sent{id: id, start: t, resp: time.Now()})
		time.Sleep(100 * time.Millisecond)
	}
	want := int64(n * k)
	deadline := time.Now().Add(60 * time.Second)
	for ss.removed.Load() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ss.mu.Lock()
	var fromResp, fromStart []time.Duration
	for _, a := range acts {
		for _, at := range ss.removals[a.id] {
			fromResp = append(fromResp, max(0, at.Sub(a.resp)))
			fromStart = append(fromStart, at.Sub(a.start))
		}
	}
	ss.mu.Unlock()
	slices.Sort(fromResp)
	slices.Sort(fromStart)
	label := fmt.Sprintf("%d open streams", n)
	return []harness.Row{
		{Name: "removal after a moderation action's response, " + label, Value: float64(len(fromResp)), Unit: "deliveries",
			P50ms: harness.Percentile(fromResp, .5), P99ms: harness.Percentile(fromResp, .99),
			Note: fmt.Sprintf("%d deletions through the console x %d streams; %d missing", k, n, want-int64(len(fromResp)))},
		{Name: "removal after a moderation action was sent, " + label, Value: float64(len(fromStart)), Unit: "deliveries",
			P50ms: harness.Percentile(fromStart, .5), P99ms: harness.Percentile(fromStart, .99), Note: "includes the action itself"},
	}, nil
}
