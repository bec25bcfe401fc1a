package lists

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"blog/i18n"
	"blog/repo"
	"blog/views"
)

type posts struct{ locale *i18n.Locale }

func (p posts) Slug(int64) string         { return "p" }
func (p posts) Locale(int64) *i18n.Locale { return p.locale }
func same(a, b string) bool               { return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b) }
func render(c repo.Comment, ctx context.Context) string {
	html, err := views.CommentHTML(ctx, "p", c)
	if err != nil {
		panic(err)
	}
	return html
}

// TestAChangeRendersItsCommentOnce checks that applying a change to a kept conversation renders no comment: the
// changed one comes rendered with the change (the same bytes the streams got), and the conversation's other
// comments keep their renderings, while the conversation put together is what a fresh rendering makes.
func TestAChangeRendersItsCommentOnce(t *testing.T) {
	en := i18n.Shipped().For("en")
	ctx := i18n.With(context.Background(), en)
	lc := New(nil, posts{en})
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	top := repo.Comment{ID: 1, Username: "Ann", Body: "Top", State: repo.StatePublished, CreatedAt: at, Replies: 3}
	var replies []repo.Comment
	for id := int64(2); id <= 4; id++ {
		replies = append(replies, repo.Comment{ID: id, ThreadID: &top.ID, ParentID: &top.ID, Username: "Bo", Body: "reply",
			State: repo.StatePublished, CreatedAt: at.Add(time.Duration(id) * time.Minute)})
	}
	th := ListThread{View: views.ThreadView{Top: top, Replies: replies, After: 4}}
	if err := lc.join(7, &th); err != nil {
		t.Fatal(err)
	}
	before := th
	l := &List{Threads: []ListThread{th}, locale: en}
	l.build(10, 4, 0, false, repo.Tally{})
	lc.lists[7] = l

	edited := replies[1]
	edited.Body = "reply, edited"
	item := render(edited, ctx)
	lc.Apply(7, []Change{{Seq: 11, Count: 4, Comment: &edited, Replies: 3, Item: item, Locale: en}})
	after := lc.lists[7].Threads[0]
	if !same(after.Replies[edited.ID], item) {
		t.Error("the changed reply was rendered again instead of taking the change's rendering")
	}
	if !same(after.Top, before.Top) || !same(after.Replies[2], before.Replies[2]) || !same(after.Replies[4], before.Replies[4]) {
		t.Error("a comment the change left alone was rendered again")
	}
	if before.Replies[3] == item {
		t.Fatal("the list handed out before the change was changed")
	}
	want, err := lc.renderThread(ctx, 7, after.View)
	if err != nil || after.HTML != want {
		t.Fatalf("the conversation put together differs from a fresh rendering (%v)", err)
	}

	// The top-level comment's change: its rendering is the change's; the replies keep theirs.
	top.Body = "Top, edited"
	item = render(top, ctx)
	lc.Apply(7, []Change{{Seq: 12, Count: 4, Comment: &top, Replies: 3, Item: item, Locale: en}})
	again := lc.lists[7].Threads[0]
	if !same(again.Top, item) || !same(again.Replies[3], after.Replies[3]) {
		t.Error("the top-level comment's change rendered a comment again")
	}
	if want, _ := lc.renderThread(ctx, 7, again.View); again.HTML != want {
		t.Fatal("the conversation put together after the top's change differs from a fresh rendering")
	}
}
