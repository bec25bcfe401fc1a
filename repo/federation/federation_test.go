package federation_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo/federation"
	"blog/repo/posts"
)

// TestAnnouncedOnceAcrossInstances shows on both databases that a post is announced once for the whole blog
// however many instances load it at once (eight here), then updated once per change of its content, withdrawn
// once, and created again when it comes back; and that each announcement reaches every follower's server once
// (shared inboxes deduplicated).
func TestAnnouncedOnceAcrossInstances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ids, err := posts.NewPosts(db).SyncPosts(ctx, []posts.PostRef{{Slug: "a", Title: "A"}})
		if err != nil {
			t.Fatal(err)
		}
		post := ids["a"]
		st := federation.New(db)
		// 30 followers on 3 servers with shared inboxes, and 2 without one.
		for i := range 30 {
			s := i % 3
			if err := st.Follow(ctx, federation.Follower{ActorURI: fmt.Sprintf("https://s%d.example/u/%d", s, i), Domain: fmt.Sprintf("s%d.example", s),
				Inbox: fmt.Sprintf("https://s%d.example/u/%d/inbox", s, i), SharedInbox: fmt.Sprintf("https://s%d.example/inbox", s)}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 2 {
			st.Follow(ctx, federation.Follower{ActorURI: fmt.Sprintf("https://solo%d.example/me", i), Domain: fmt.Sprintf("solo%d.example", i),
				Inbox: fmt.Sprintf("https://solo%d.example/me/inbox", i)})
		}
		announce := func(hash string) []string {
			var mu sync.Mutex
			var kinds []string
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					k, err := st.Announce(ctx, post, "https://blog.example/posts/a", hash, func(kind string) ([]byte, error) {
						return []byte(`{"type":"` + kind + `"}`), nil
					})
					if err != nil {
						t.Error(err)
					}
					if k != "" {
						mu.Lock()
						kinds = append(kinds, k)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return kinds
		}
		pending := func() int {
			c, err := st.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return c[federation.StatusPending]
		}
		if k := announce("v1"); len(k) != 1 || k[0] != federation.Create {
			t.Fatalf("first load: %v", k)
		}
		if n := pending(); n != 5 {
			t.Fatalf("%d deliveries for 3 servers and 2 without a shared inbox", n)
		}
		if k := announce("v1"); len(k) != 0 {
			t.Fatalf("loaded again: %v", k)
		}
		if k := announce("v2"); len(k) != 1 || k[0] != federation.Update {
			t.Fatalf("changed: %v", k)
		}
		for i := range 3 {
			if done, err := st.Withdraw(ctx, post, []byte(`{"type":"Delete"}`)); err != nil || done != (i == 0) {
				t.Fatalf("withdrawal %d: %v, %v", i, done, err)
			}
		}
		if n := pending(); n != 15 {
			t.Fatalf("%d deliveries after Create, Update and Delete", n)
		}
		if k := announce("v2"); len(k) != 1 || k[0] != federation.Create {
			t.Fatalf("back: %v", k)
		}

		// A due delivery is claimed by one worker only.
		due, err := st.Due(ctx, time.Now(), 100)
		if err != nil || len(due) != 20 {
			t.Fatalf("due: %d, %v", len(due), err)
		}
		now := time.Now()
		var wins int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := st.Claim(ctx, due[0], now, now.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d workers claimed one delivery", wins)
		}

		// The owner's reply is sent once, whichever instance sees it first.
		sent := 0
		for range 4 {
			ok, err := st.SendOnce(ctx, federation.Object{URI: "https://blog.example/ap/comments/1", CommentID: 1, PostID: post},
				[]federation.Target{{Inbox: "https://s0.example/inbox", Domain: "s0.example"}}, []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				sent++
			}
		}
		if sent != 1 {
			t.Fatalf("sent %d times", sent)
		}

		// Blocking a server takes its followers and its pending deliveries.
		n, err := st.RemoveDomain(ctx, "s1.example")
		if err != nil || n != 10 {
			t.Fatalf("removed %d, %v", n, err)
		}
		if _, total, _ := st.Followers(ctx, 100, 0); total != 22 {
			t.Fatalf("%d followers left", total)
		}
	})
}

// TestKeyMadeOnce shows that instances starting together on one database agree on one key.
func TestKeyMadeOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		st := federation.New(db)
		keys := make([]string, 6)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k, err := st.PrivateKey(context.Background(), func() (string, error) { return fmt.Sprintf("key %d", i), nil })
				if err != nil {
					t.Error(err)
				}
				keys[i] = k
			}()
		}
		wg.Wait()
		for _, k := range keys {
			if k != keys[0] || k == "" {
				t.Fatalf("keys: %q", keys)
			}
		}
	})
}
