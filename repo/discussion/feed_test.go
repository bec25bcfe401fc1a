package discussion_test

import (
	"context"
	"testing"
	"time"

	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/discussion"
)

// A change committed by another process (another connection pool on the same database) reaches the watcher.
func TestWatchChangesSeesOtherProcesses(t *testing.T) {
	for name, mk := range map[string]func(testing.TB) string{"sqlite": dbtest.MigratedSQLiteURL, "postgres": dbtest.MigratedPostgresURL} {
		t.Run(name, func(t *testing.T) {
			url := mk(t)
			server := dbtest.Open(t, url, true)
			other := dbtest.Open(t, url, false)
			post := seedPost(t, server, "hello")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pokes := make(chan [2]int64, 16)
			ready := make(chan struct{})
			go server.WatchChanges(ctx, func(p, s int64) { pokes <- [2]int64{p, s} }, func() {}, func() { close(ready) })
			<-ready
			if _, err := create(ctx, discussion.NewComments(other), post, repo.CommentInput{Username: "A", Email: "a@x.org", Body: "x"}); err != nil {
				t.Fatal(err)
			}
			select {
			case p := <-pokes:
				if p != [2]int64{post, 1} {
					t.Fatalf("poke = %v, want post %d seq 1", p, post)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the watcher did not see another process's change within 30 s")
			}
		})
	}
}
