// Package federation measures the blog as an ActivityPub actor: n followers on n/20 servers (each server with
// its shared inbox, on a sink on loopback that takes every delivery), a new post written into the content
// folder, the time until its Create is queued for every server (one INSERT ... SELECT) and until every server
// has it; then the inbox's throughput: signed replies from one actor, eight at a time, each verified and stored
// as a comment through moderation.
package federation

import (
	"bytes"
	"context"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite"

	"blog/activitypub/signature"
	"blog/activitypub/streams"
	"blog/cmd/bench/harness"
)

// Measure runs the scenario with n followers on n/20 servers and sends replies replies to the inbox.
func Measure(binary string, n, replies int) ([]harness.Row, error) {
	ctx := context.Background()
	servers := max(1, n/20)
	dir, err := os.MkdirTemp("", "blog-bench-federation-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := harness.WriteContent(filepath.Join(dir, "content")); err != nil {
		return nil, err
	}
	dbPath := filepath.Join(dir, "bench.db")
	env := append(os.Environ(), "DATABASE_URL=sqlite:"+dbPath, "CONTENT_DIR="+filepath.Join(dir, "content"))
	migrate := exec.Command(binary, "migrate", "up")
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("migrate: %v\n%s", err, out)
	}
	sink := newSink()
	defer sink.srv.Close()
	apEnv := []string{"ACTIVITYPUB=on", "ACTIVITYPUB_ALLOW_PRIVATE=true", "ACTIVITYPUB_RATE=off", "BASE_URL=http://blog.example"}
	srv, err := harness.StartServer(ctx, binary, dir, apEnv...)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// The followers, written as the inbox writes them, after the first load announced the sample posts to nobody.
	waitFor := func(what string, limit time.Duration, ok func() bool) (time.Duration, error) {
		start := time.Now()
		for !ok() {
			if time.Since(start) > limit {
				return 0, fmt.Errorf("%s: not after %s", what, limit)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start), nil
	}
	if _, err := waitFor("the sample posts announced", 30*time.Second, func() bool {
		var c int
		db.QueryRow("SELECT COUNT(*) FROM fed_posts").Scan(&c)
		return c > 0
	}); err != nil {
		return nil, err
	}
	tx, err := db.Begin()
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Format("2006-01-02 15:04:05")
	for i := range n {
		s := i % servers
		actor := fmt.Sprintf("%s/s%d/users/u%d", sink.srv.URL, s, i)
		if _, err := tx.Exec(`INSERT INTO fed_followers (actor_uri, inbox, shared_inbox, domain, handle, follow_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, actor, actor+"/inbox", fmt.Sprintf("%s/s%d/inbox", sink.srv.URL, s),
			fmt.Sprintf("server%d.example", s), fmt.Sprintf("@u%d@server%d.example", i, s), actor+"/follow", now); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	var before int
	db.QueryRow("SELECT COUNT(*) FROM fed_deliveries").Scan(&before)
	day := time.Now().UTC().Format("2006-01-02")
	post := "---\ntitle: A post for the fediverse\ndate: " + day + "\nsummary: The bench's post.\ntags: [bench]\n---\n\n" +
		"A paragraph of the post, with *emphasis* and a [link](/about).\n"
	published := time.Now()
	if err := os.WriteFile(filepath.Join(dir, "content", "posts", day+"-fediverse.md"), []byte(post), 0o644); err != nil {
		return nil, err
	}
	queued, err := waitFor("the Create queued for every server", 120*time.Second, func() bool {
		var c int
		db.QueryRow("SELECT COUNT(*) FROM fed_deliveries").Scan(&c)
		return c-before >= servers
	})
	if err != nil {
		return nil, err
	}
	queued = time.Since(published) // from the file written
	delivered, err := waitFor("the Create delivered to every server", 300*time.Second, func() bool { return sink.servers() >= servers })
	if err != nil {
		return nil, err
	}
	delivered = time.Since(published)

	// The inbox: replies from one actor, signed, eight at a time.
	rate, p50, p99, err := inbox(srv.Base, sink, replies)
	if err != nil {
		return nil, err
	}
	var comments int
	db.QueryRow("SELECT COUNT(*) FROM comments WHERE mention_kind = 'fediverse'").Scan(&comments)
	note := fmt.Sprintf("%d followers on %d servers (shared inboxes), SQLite", n, servers)
	return []harness.Row{
		{Name: "activitypub: post written to its Create queued for every server", Value: queued.Seconds(), Unit: "s", Note: note + "; target < 10 s"},
		{Name: "activitypub: post written to every server having it", Value: delivered.Seconds(), Unit: "s", Note: note + "; signed POSTs to a sink on loopback"},
		{Name: "activitypub: inbox replies taken a second", Value: rate, Unit: "/s", P50ms: p50, P99ms: p99,
			Note: fmt.Sprintf("%d signed Creates of Notes from one actor, 8 at a time, verified and stored through moderation (%d comments)", replies, comments)},
	}, nil
}

// sink is every follower's server: it takes any POST and counts the servers that got one.
type sink struct {
	srv  *httptest.Server
	key  *rsa.PrivateKey
	mu   sync.Mutex
	seen map[string]bool
}

func newSink() *sink {
	pemKey, _ := signature.GenerateKey()
	key, _ := signature.ParsePrivateKey(pemKey)
	pub, _ := signature.PublicKeyPEM(key)
	s := &sink{key: key, seen: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen[r.URL.Path] = true
		s.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("GET /replier", func(w http.ResponseWriter, r *http.Request) {
		id := s.srv.URL + "/replier"
		w.Header().Set("Content-Type", streams.ContentType)
		json.NewEncoder(w).Encode(map[string]any{"id": id, "type": "Person", "preferredUsername": "replier", "name": "A Replier",
			"inbox": id + "/inbox", "publicKey": map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": pub}})
	})
	s.srv = httptest.NewServer(mux)
	return s
}

func (s *sink) servers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// inbox sends n signed replies to the newest post, 8 at a time, and returns the rate and latencies.
func inbox(base string, s *sink, n int) (perSecond, p50, p99 float64, err error) {
	actor := s.srv.URL + "/replier"
	target := "http://blog.example/posts/fediverse"
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				note := fmt.Sprintf("%s/notes/%d", actor, i)
				body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": note + "/activity",
					"type": "Create", "actor": actor, "object": map[string]any{"id": note, "type": "Note", "attributedTo": actor,
						"inReplyTo": target, "content": fmt.Sprintf("<p>Reply number %d, with a few words of its own.</p>", i)}})
				req, _ := http.NewRequest(http.MethodPost, base+"/ap/inbox", bytes.NewReader(body))
				req.Header.Set("Content-Type", streams.ContentType)
				signature.Sign(req, body, s.key, actor+"#main-key", time.Now())
				t0 := time.Now()
				resp, err := http.DefaultClient.Do(req)
				d := time.Since(t0)
				if err != nil || resp.StatusCode != http.StatusAccepted {
					failed.Add(1)
				}
				if resp != nil {
					resp.Body.Close()
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if f := failed.Load(); f > 0 {
		return 0, 0, 0, fmt.Errorf("inbox: %d of %d replies refused", f, n)
	}
	slices.Sort(lat)
	return float64(n) / took.Seconds(), harness.Percentile(lat, 0.5), harness.Percentile(lat, 0.99), nil
}
