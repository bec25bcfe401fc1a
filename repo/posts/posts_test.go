package posts_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo/posts"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestSyncPostsFromInstancesAtOnce: instances that load the same new content at the same moment (a deploy of
// several on one PostgreSQL) all get the one row of each post, none an error.
func TestSyncPostsFromInstancesAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		var refs []posts.PostRef
		for i := range 40 {
			refs = append(refs, posts.PostRef{Slug: fmt.Sprintf("post-%d", i), Title: fmt.Sprintf("Post %d", i)})
		}
		for round := range 5 {
			for i := range refs {
				refs[i].Slug = fmt.Sprintf("round-%d-post-%d", round, i)
			}
			var wg sync.WaitGroup
			got := make([]map[string]int64, 4)
			errs := make([]error, 4)
			for n := range got {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[n], errs[n] = posts.NewPosts(db).SyncPosts(context.Background(), refs)
				}()
			}
			wg.Wait()
			for n := range got {
				if errs[n] != nil {
					t.Fatalf("round %d, instance %d: %v", round, n, errs[n])
				}
				for slug, id := range got[n] {
					if id == 0 || id != got[0][slug] {
						t.Fatalf("round %d: %s is %d for instance %d, %d for the first", round, slug, id, n, got[0][slug])
					}
				}
			}
		}
	})
}
