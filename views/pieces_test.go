package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"blog/repo"
)

// samePieces checks that a conversation put together from its comments rendered once each (CommentHTML,
// JoinThread) is byte for byte what Thread renders, and each comment's stream event (ChangeOf) what Change does.
func samePieces(t *testing.T, tv ThreadView) {
	t.Helper()
	ctx := context.Background()
	var want bytes.Buffer
	if err := Thread("p", tv, nil).Render(ctx, &want); err != nil {
		t.Fatal(err)
	}
	top, err := CommentHTML(ctx, "p", tv.Top)
	if err != nil {
		t.Fatal(err)
	}
	replies := map[int64]string{}
	for i, r := range tv.Replies {
		if i%2 == 0 { // the others are rendered by JoinThread itself
			if replies[r.ID], err = CommentHTML(ctx, "p", r); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := JoinThread(ctx, "p", tv, top, replies)
	if err != nil || got != want.String() {
		t.Fatalf("joined conversation differs from Thread's (err %v):\n got %s\nwant %s", err, got, want.String())
	}
	for _, c := range append([]repo.Comment{tv.Top}, tv.Replies...) {
		var change, joined bytes.Buffer
		if err := Change("p", c, 3).Render(ctx, &change); err != nil {
			t.Fatal(err)
		}
		item, err := CommentHTML(ctx, "p", c)
		if err != nil {
			t.Fatal(err)
		}
		if err := ChangeOf(item, 3).Render(ctx, &joined); err != nil {
			t.Fatal(err)
		}
		if change.String() != joined.String() {
			t.Fatalf("comment %d: ChangeOf differs from Change:\n got %s\nwant %s", c.ID, joined.String(), change.String())
		}
	}
}

func TestJoinedThreadIsThread(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	top := repo.Comment{ID: 1, Username: "Ann <!--replies-->", Body: "Top <!--replies--> text", State: repo.StatePublished, CreatedAt: at}
	var replies []repo.Comment
	for i := int64(2); i <= 6; i++ {
		one := top.ID
		replies = append(replies, repo.Comment{ID: i, ThreadID: &one, ParentID: &one, ParentName: "Ann", Username: "Bo",
			Body: strings.Repeat("reply ", int(i)), State: repo.StatePublished, CreatedAt: at.Add(time.Duration(i) * time.Minute)})
	}
	removed := top
	removed.State, removed.Replies = repo.StateDeleted, 5
	pinned := top
	pinned.PinnedAt = &at
	for name, tv := range map[string]ThreadView{
		"alone":        {Top: top},
		"with replies": {Top: top, Replies: replies, After: 6},
		"more to show": {Top: top, Replies: replies[:3], After: 4, More: 7},
		"removed top":  {Top: removed, Replies: replies, After: 6},
		"pinned":       {Top: pinned, Replies: replies[:1], After: 2},
	} {
		t.Run(name, func(t *testing.T) { samePieces(t, tv) })
	}
}
