package review_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/review"
	"blog/repo/tallies"
)

var cli = repo.Action{Actor: repo.ActorCLI, Name: "test"}

func TestStateChangesAreRecordedInTheFeedAndTheAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := review.NewComments(db)
		post := seedPost(t, db, "hello")
		a, _ := create(ctx, store, post, repo.CommentInput{Username: "A", Email: "a@x.org", Body: "one"})
		held, st, err := store.CreateComment(ctx, repo.NewComment{PostID: post, State: repo.StatePending, Reason: "held",
			Input: repo.CommentInput{Username: "B", Email: "b@x.org", Body: "two"}})
		if err != nil || st != (repo.Stamp{Seq: 2, Count: 1}) {
			t.Fatalf("held comment: stamp %+v, %v; want seq 2 and still one published", st, err)
		}
		moved, err := store.SetState(ctx, []int64{a.ID, held.ID, held.ID, 999}, repo.StatePublished, "", cli)
		if err != nil || len(moved) != 1 || moved[0].ID != held.ID || moved[0].From != repo.StatePending || moved[0].Stamp.Count != 2 {
			t.Fatalf("approve: %+v, %v; want only the held comment moved, count 2", moved, err)
		}
		if _, err := store.SetState(ctx, []int64{a.ID}, repo.StateDeleted, "deleted by the owner", cli); err != nil {
			t.Fatal(err)
		}
		changes, err := store.FindChanges(ctx, post, 0, 10)
		if err != nil || len(changes) != 4 {
			t.Fatalf("changes = %+v, %v; want 4", changes, err)
		}
		for i, ch := range changes {
			if ch.Seq != int64(i+1) || ch.Count != 1 || ch.Comment == nil {
				t.Errorf("change %d = %+v; want seq %d, the current count 1 and the comment", i, ch, i+1)
			}
		}
		if changes[0].Comment.State != repo.StateDeleted || changes[0].Comment.Reason != "deleted by the owner" {
			t.Errorf("a change carries the comment as it is now: %+v", changes[0].Comment)
		}
		if later, _ := store.FindChanges(ctx, post, 3, 10); len(later) != 1 || later[0].Seq != 4 {
			t.Errorf("after 3: %+v", later)
		}
		entries, err := repo.NewAudit(db).List(ctx, 0, 10)
		if err != nil || len(entries) != 2 {
			t.Fatalf("audit = %+v, %v", entries, err)
		}
		if e := entries[1]; e.Actor != repo.ActorCLI || e.Previous != itoa(held.ID)+":pending" || !strings.Contains(e.CommentIDs, itoa(held.ID)) {
			t.Errorf("audit entry = %+v", e)
		}
		if published, _ := store.FindComments(ctx, repo.CommentFilter{PostID: post}); len(published) != 1 || published[0].ID != held.ID {
			t.Errorf("published = %+v; want only the approved one", published)
		}
	})
}

func TestSearchComments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := review.NewComments(db)
		post, other := seedPost(t, db, "hello"), seedPost(t, db, "other")
		mk := func(p int64, email, body, ip, state string) int64 {
			c, _, err := store.CreateComment(ctx, repo.NewComment{PostID: p, State: state, IPHash: ip, NetHash: "net-" + ip,
				Input: repo.CommentInput{Username: "N", Email: email, Body: body}})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		spam := mk(post, "spammer@bad.example", "Buy CHEAP pills", "ip1", repo.StateSpam)
		mine := mk(post, "ann@good.example", "A kind word, 100% sincere", "ip2", repo.StatePublished)
		elsewhere := mk(other, "ann@good.example", "cheap thrills", "ip1", repo.StatePending)
		tests := []struct {
			name string
			q    repo.Search
			want []int64
		}{
			{"everything, newest first", repo.Search{}, []int64{elsewhere, mine, spam}},
			{"by state", repo.Search{State: repo.StateSpam}, []int64{spam}},
			{"by post", repo.Search{PostID: other}, []int64{elsewhere}},
			{"text ignores case", repo.Search{Text: "cheap"}, []int64{elsewhere, spam}},
			{"a percent sign is literal enough", repo.Search{Text: "100%"}, []int64{mine}},
			{"email part", repo.Search{Email: "good.example"}, []int64{elsewhere, mine}},
			{"unknown email", repo.Search{Email: "nobody"}, nil},
			{"address", repo.Search{IPHash: "ip1"}, []int64{elsewhere, spam}},
			{"network", repo.Search{NetHash: "net-ip2"}, []int64{mine}},
			{"paging", repo.Search{BeforeID: elsewhere, Limit: 1}, []int64{mine}},
		}
		for _, tt := range tests {
			got, err := store.SearchComments(ctx, tt.q)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var ids []int64
			for _, c := range got {
				ids = append(ids, c.ID)
				if c.Post.Slug == "" || c.User.Email == "" {
					t.Errorf("%s: post and author not loaded: %+v", tt.name, c)
				}
			}
			if len(ids) != len(tt.want) || (len(ids) > 0 && !equal(ids, tt.want)) {
				t.Errorf("%s: got %v, want %v", tt.name, ids, tt.want)
			}
		}
		counts, err := store.CountByState(ctx)
		if err != nil || counts[repo.StateSpam] != 1 || counts[repo.StatePending] != 1 || counts[repo.StatePublished] != 1 {
			t.Errorf("counts = %v, %v", counts, err)
		}
	})
}

func TestBans(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store, bans := review.NewComments(db), review.NewBans(db)
		post := seedPost(t, db, "hello")
		old, _, _ := store.CreateComment(ctx, repo.NewComment{PostID: post, IPHash: "addr", NetHash: "net",
			Input: repo.CommentInput{Username: "S", Email: "s@spam.example", Body: "x"}})
		for _, b := range []repo.Ban{
			{Kind: repo.BanDomain, Value: "spam.example", Label: "spam.example"},
			{Kind: repo.BanNet, Value: "net", Label: "10.0.0.0/24"},
		} {
			if _, err := bans.Add(ctx, b, cli); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := bans.Add(ctx, repo.Ban{Kind: repo.BanDomain, Value: "spam.example", Label: "again"}, cli); !errors.Is(err, repo.ErrExists) {
			t.Fatalf("duplicate ban: %v, want ErrExists", err)
		}
		for _, tt := range []struct {
			email, ip, net string
			want           bool
		}{
			{"x@spam.example", "", "", true}, {"x@ham.example", "", "net", true}, {"x@ham.example", "addr", "other", false},
			{"x@sub.spam.example", "", "", false},
		} {
			if _, got, err := bans.Match(ctx, tt.email, tt.ip, tt.net); err != nil || got != tt.want {
				t.Errorf("Match(%s, %s, %s) = %v, %v; want %v", tt.email, tt.ip, tt.net, got, err, tt.want)
			}
		}
		list, _ := bans.List(ctx)
		ids, err := store.CommentsMatching(ctx, list[0])
		if err != nil || len(ids) != 1 || ids[0] != old.ID {
			t.Fatalf("comments matching %+v: %v, %v", list[0], ids, err)
		}
		if _, err := bans.Remove(ctx, list[0].ID, cli); err != nil {
			t.Fatal(err)
		}
		if _, err := bans.Remove(ctx, list[0].ID, cli); !errors.Is(err, repo.ErrNotFound) {
			t.Fatalf("removing twice: %v, want ErrNotFound", err)
		}
	})
}

func TestPurgeDeletesOnlyOldDeletedComments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := review.NewComments(db)
		post := seedPost(t, db, "hello")
		gone, _ := create(ctx, store, post, repo.CommentInput{Username: "A", Email: "a@x.org", Body: "one"})
		kept, _ := create(ctx, store, post, repo.CommentInput{Username: "A", Email: "a@x.org", Body: "two"})
		for _, id := range []int64{gone.ID, kept.ID} {
			if _, err := tallies.New(db).Toggle(ctx, tallies.Toggle{PostID: post, CommentID: id, Kind: "like", Reader: "r"}); err != nil {
				t.Fatal(err)
			}
		}
		store.SetState(ctx, []int64{gone.ID}, repo.StateDeleted, "", cli)
		if n, err := store.Purge(ctx, time.Now().Add(-time.Hour), cli); err != nil || n != 0 {
			t.Fatalf("purge of recent deletions: %d, %v; want 0", n, err)
		}
		if n, err := store.Purge(ctx, time.Now().Add(time.Minute), cli); err != nil || n != 1 {
			t.Fatalf("purge: %d, %v; want 1", n, err)
		}
		left, _ := store.FindCommentsByID(ctx, []int64{gone.ID, kept.ID})
		if len(left) != 1 || left[0].ID != kept.ID {
			t.Fatalf("left = %+v", left)
		}
		// The readers' reactions go with it; the kept comment's stay.
		if n, err := db.Repo().Count(ctx, "reactions"); err != nil || n != 1 {
			t.Fatalf("reactions left after purge: %d, %v; want the kept comment's 1", n, err)
		}
		// The purged comment's changes read as a comment that is no longer there.
		changes, _ := store.FindChanges(ctx, post, 0, 10)
		if len(changes) != 5 || changes[0].Comment != nil || changes[0].CommentID != gone.ID {
			t.Fatalf("changes after purge = %+v", changes)
		}
	})
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
