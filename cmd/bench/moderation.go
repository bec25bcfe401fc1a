package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// owner is a signed-in owner's browser: its cookies and the form token of its session.
type owner struct {
	http  *http.Client
	token string
}

// signInOwner sets the owner's password with the binary's command line (as an operator would, while the server
// runs) and signs in through the sign-in form.
func signInOwner(s *server, binary string) (*owner, error) {
	const pw = "benchmark owner password"
	cmd := exec.Command(binary, "owner", "password")
	cmd.Env = append(os.Environ(), "DATABASE_URL=sqlite:"+s.dbPath)
	cmd.Stdin = strings.NewReader(pw + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("web owner password: %v: %s", err, out)
	}
	jar, _ := cookiejar.New(nil)
	o := &owner{http: &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	page, err := o.get(s.base + "/admin/login")
	if err != nil {
		return nil, err
	}
	resp, err := o.http.PostForm(s.base+"/admin/login", url.Values{"password": {pw}, "_csrf": {o.token}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-in: status %d (%d bytes of sign-in page)", resp.StatusCode, len(page))
	}
	if _, err := o.get(s.base + "/admin"); err != nil {
		return nil, err
	}
	return o, nil
}

// get fetches a page and keeps the form token it carries.
func (o *owner) get(u string) (string, error) {
	resp, err := o.http.Get(u)
	if err != nil {
		return "", err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	if m := csrfMeta.FindSubmatch(b); m != nil {
		o.token = string(m[1])
	}
	return string(b), nil
}

// measureModeration opens n streams on a post with comments and has the owner delete comments one by one
// through the console, measuring when each removal reaches every stream.
func measureModeration(s *server, binary, slug string, n int) ([]Row, error) {
	o, err := signInOwner(s, binary)
	if err != nil {
		return nil, err
	}
	resp, err := client.Get(s.base + "/posts/" + slug)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	var ids []int64
	for _, m := range commentID.FindAllStringSubmatch(page, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
	}
	const k = 10
	if len(ids) < k {
		return nil, fmt.Errorf("post %s has %d comments, want %d to delete", slug, len(ids), k)
	}
	ss, err := openStreams(s.base, "/posts/"+slug+"/events", n)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	time.Sleep(time.Duration(n/1000+1) * 500 * time.Millisecond) // let every stream subscribe
	var acts []sent
	for _, id := range ids[:k] {
		t := time.Now()
		resp, err := o.http.PostForm(s.base+"/admin/comments", url.Values{"one": {"delete:" + strconv.FormatInt(id, 10)}, "_csrf": {o.token}})
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
	return []Row{
		{Name: "removal after a moderation action's response, " + label, Value: float64(len(fromResp)), Unit: "deliveries",
			P50ms: percentile(fromResp, .5), P99ms: percentile(fromResp, .99),
			Note: fmt.Sprintf("%d deletions through the console x %d streams; %d missing", k, n, want-int64(len(fromResp)))},
		{Name: "removal after a moderation action was sent, " + label, Value: float64(len(fromStart)), Unit: "deliveries",
			P50ms: percentile(fromStart, .5), P99ms: percentile(fromStart, .99), Note: "includes the action itself"},
	}, nil
}

// compareBinaries measures the same pages on two builds of the blog in one run, in alternating rounds: the
// current binary against an earlier one (-before), both with identical content and comments.
func compareBinaries(ctx context.Context, before, current string, dur time.Duration) ([]Row, error) {
	var servers []*server
	for _, bin := range []string{before, current} {
		dir, err := os.MkdirTemp("", "blog-bench-compare-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if err := writeContent(filepath.Join(dir, "content")); err != nil {
			return nil, err
		}
		s, err := startServer(ctx, bin, dir)
		if err != nil {
			return nil, err
		}
		defer s.stop()
		if err := seed(ctx, s, map[string]int{"hundred": 100, "thousand": 1000}); err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}
	var rows []Row
	for _, p := range []struct{ name, path string }{
		{"post page GET (100 comments)", "/posts/hundred"},
		{"post page GET (1,000 comments)", "/posts/thousand"},
		{"home page GET", "/"},
	} {
		const rounds = 4
		var rps [2]float64
		for _, s := range servers {
			browserGET(s.base + p.path)
		}
		for range rounds {
			for i, s := range servers {
				r, _, _ := hammer(8, dur/rounds, func(int, int) error { return browserGET(s.base + p.path) })
				rps[i] += r / rounds
			}
		}
		rows = append(rows, Row{Name: p.name + ": this build vs -before", Value: rps[1], Unit: "req/s", Control: rps[0],
			Ratio: rps[1] / rps[0], Note: "8 clients; control = the -before binary, same content, alternating rounds"})
	}
	return rows, nil
}
