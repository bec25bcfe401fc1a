package mentions_test

import (
	"context"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo/mentions"
)

// TestLinksQueueOncePerChange shows the outbox's diff on both databases: a new link is queued, the same post
// loaded again queues nothing, a changed post queues every link it keeps, a link taken out is queued once as
// removed, and a claimed notification is taken by one worker only.
func TestLinksQueueOncePerChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		o := mentions.New(db).Sends()
		src := "https://blog.example/posts/a"
		steps := []struct {
			hash    string
			targets []string
			queued  int
		}{
			{"v1", []string{"https://x.example/1", "https://y.example/2"}, 2},
			{"v1", []string{"https://x.example/1", "https://y.example/2"}, 0}, // loaded again, unchanged
			{"v2", []string{"https://x.example/1"}, 2},                        // edited: x kept (notified), y removed
			{"v2", []string{"https://x.example/1"}, 0},
			{"gone", nil, 1}, // the post unpublished: x removed
			{"gone", nil, 0},
		}
		for i, s := range steps {
			n, err := o.Links(ctx, src, s.hash, s.targets)
			if err != nil || n != s.queued {
				t.Fatalf("step %d: queued %d, %v; want %d", i, n, err, s.queued)
			}
		}
		rows, err := o.BySource(ctx, src)
		if err != nil || len(rows) != 2 || rows[0].Linked || rows[1].Linked {
			t.Fatalf("rows %+v %v", rows, err)
		}
		if srcs, err := o.LinkedSources(ctx); err != nil || len(srcs) != 0 {
			t.Fatalf("linked sources %v %v", srcs, err)
		}
		now := time.Now().Add(time.Second)
		due, err := o.Due(ctx, now, 10)
		if err != nil || len(due) != 2 {
			t.Fatalf("due %+v %v", due, err)
		}
		first, err1 := o.Claim(ctx, due[0], now, now.Add(time.Minute))
		second, err2 := o.Claim(ctx, due[0], now, now.Add(time.Minute))
		if !first || second || err1 != nil || err2 != nil {
			t.Fatalf("claims %v %v (%v %v): want exactly one", first, second, err1, err2)
		}
	})
}
