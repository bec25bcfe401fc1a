package main

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/lib/pq"

	"blog/internal/dbtest"
)

// TestPostgresDroppedConnectionsAreReplaced: when PostgreSQL ends the server's connections (an administrator's
// pg_terminate_backend, a failover, a restart), the next requests get new connections instead of failing on the
// dead ones kept in the pool: the next page view and the next comment succeed.
func TestPostgresDroppedConnectionsAreReplaced(t *testing.T) {
	dbURL := dbtest.PostgresURL(t)
	base, _ := startServer(t, map[string]string{"DATABASE_URL": dbURL})
	v := newVisitor(t)
	// Fill the pool: several requests at once each hold a connection.
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			resp, err := http.Get(base + "/comments.xml")
			if err == nil {
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if resp := v.comment(t, base, "hello-world", "Ann", "ann@example.com", "Before the drop"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment before the drop: status %d", resp.StatusCode)
	}

	admin, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	// The issue's own statement (in the select list, so that it never reaches this connection's own backend).
	rows, err := admin.QueryContext(ctx, `SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int64
	for rows.Next() {
		var pid int64
		var terminated bool
		if err := rows.Scan(&pid, &terminated); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(pids) < 2 {
		t.Fatalf("terminated %d connections: the server should have had its pool and its listener open", len(pids))
	}
	// pg_terminate_backend only signals: wait until the backends have gone.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var left int
		if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)", pq.Array(pids)).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d terminated connections still there after 30s", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	dropped := len(pids)
	t.Logf("terminated %d connections", dropped)

	if code, body := v.get(t, base+"/posts/hello-world"); code != http.StatusOK {
		t.Fatalf("post page after the drop: status %d\n%.300s", code, body)
	}
	if resp := v.comment(t, base, "hello-world", "Ann", "ann@example.com", "After the drop"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment after the drop: status %d, want 303", resp.StatusCode)
	}
	if code, _ := v.get(t, base+"/comments.xml"); code != http.StatusOK {
		t.Fatalf("comments feed after the drop: status %d", code)
	}
}
