package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blog/internal/dbtest"
)

// TestBackupUnderLoad takes a snapshot while comments are being written: it opens cleanly and holds every
// comment acknowledged before the backup started; restoring it brings those back.
func TestBackupUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped with -short (make test-short)")
	}
	dbURL := dbtest.SQLiteURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "RATE_LIMIT": "off", "MAX_CONNS_PER_CLIENT": "10000"}
	base, stop := startServer(t, env)
	stopLoad := make(chan struct{})
	done := make(chan loadResult)
	before := make(chan loadResult)
	go func() {
		// First a known set, then a load that runs during the backup.
		before <- postLoad(t, base, []string{"hello-world"}, 4, 200, nil)
		done <- postLoad(t, base, []string{"hello-world", "writing-posts"}, 8, 1_000_000, stopLoad)
	}()
	acked := <-before
	// The second load is storing comments before the backup starts.
	deadline := time.Now().Add(30 * time.Second)
	for commentsOn(t, base, "hello-world") <= len(acked.accepted) {
		if time.Now().After(deadline) {
			t.Fatal("the load running during the backup stored nothing in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	snap := filepath.Join(t.TempDir(), "snapshot.db")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"backup", snap}, envFunc(env), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("backup: %v", err)
	}
	close(stopLoad)
	during := <-done
	t.Logf("%s; %d more comments during the backup", strings.TrimSpace(out.String()), len(during.accepted))
	if len(during.accepted) == 0 {
		t.Fatal("no writes happened during the backup")
	}
	db, err := sql.Open("sqlite", "file:"+snap+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id := range acked.accepted {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM comments WHERE id = ?", id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("comment %d committed before the backup is missing from it (%v)", id, err)
		}
	}
	var inSnap int
	db.QueryRow("SELECT count(*) FROM comments").Scan(&inSnap)

	if err := run(context.Background(), []string{"backup", snap}, envFunc(env), strings.NewReader(""), io.Discard, io.Discard); err == nil {
		t.Fatal("backup over an existing file should refuse")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"restore", snap}, envFunc(env), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(out.String(), "current database kept as") {
		t.Errorf("restore output: %s", out.String())
	}
	restored := dbtest.Open(t, dbURL, false)
	if n, _ := restored.Repo().Count(context.Background(), "comments"); n != inSnap {
		t.Fatalf("after restore: %d comments, want %d", n, inSnap)
	}
	if err := run(context.Background(), []string{"restore", filepath.Join(t.TempDir(), "missing.db")}, envFunc(env), strings.NewReader(""), io.Discard, io.Discard); err == nil {
		t.Fatal("restore from a missing file should fail")
	}
}

func TestHealthCommand(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	startServer(t, env) // sets env["ADDR"]
	if err := run(context.Background(), []string{"health"}, envFunc(env), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatalf("health with a running server: %v", err)
	}
	env["ADDR"] = freeAddr(t)
	if err := run(context.Background(), []string{"health"}, envFunc(env), strings.NewReader(""), io.Discard, io.Discard); err == nil {
		t.Fatal("health without a server should fail")
	}
}

func TestMetricsAndLogs(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t), "LOG_FORMAT": "json", "METRICS_TOKEN": "s3cret"}
	addr := freeAddr(t)
	env["ADDR"] = addr
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, nil, envFunc(env), strings.NewReader(""), io.Discard, logs) }()
	base := "http://" + addr
	waitUp(t, base)
	v := newVisitor(t)
	v.comment(t, base, "hello-world", "Metric", "Secret.Person@Example.com", "counted")
	v.comment(t, base, "hello-world", "", "x", "") // refused: invalid
	v.get(t, base+"/posts/nope")

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("metrics without token: %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`blog_comments_posted_total 1`,
		`blog_comments_rejected_total{reason="invalid"} 1`,
		`blog_http_requests_total{method="GET",route="/posts/:slug",status="404"} 1`,
		`blog_http_requests_total{method="POST",route="/posts/:slug/comments",status="303"} 1`,
		`blog_http_request_duration_seconds_bucket{method="GET",route="/posts/:slug"`,
		`blog_event_streams_open 0`,
		`blog_db_errors_total 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s\n%.500s", want, body)
		}
	}
	cancel()
	<-errc

	var requests int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if entry["msg"] == "request" {
			requests++
			for _, k := range []string{"request_id", "status", "duration", "route", "method"} {
				if _, ok := entry[k]; !ok {
					t.Errorf("request log line without %s: %s", k, line)
				}
			}
		}
	}
	if requests < 6 {
		t.Errorf("%d request lines logged", requests)
	}
	if l := strings.ToLower(logs.String()); strings.Contains(l, "secret.person") || strings.Contains(l, "s3cret") {
		t.Error("the log contains an email or the metrics token")
	}
}

func waitUp(t *testing.T, base string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server did not come up")
}
