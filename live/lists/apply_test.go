package lists

import (
	"context"
	"strings"
	"testing"
	"time"

	"blog/i18n"
	"blog/repo"
	"blog/views"
)

type posts struct{ locale *i18n.Locale }

func (p posts) Slug(int64) string         { return "p" }
func (p posts) Locale(int64) *i18n.Locale { return p.locale }

// TestAChangeRendersItsCommentOnce checks that applying a change to a kept conversation renders no comment: the
// changed one is taken as the broker rendered it for the streams, and the others are taken from the
// conversation's HTML (shown by changing them behind the list's back: a rendering would show the change); and
// that, with nothing changed behind its back, the conversation put together is what a fresh rendering makes.
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
	keep := func(tv views.ThreadView) {
		th := ListThread{View: tv}
		if err := lc.join(7, &th); err != nil {
			t.Fatal(err)
		}
		l := &List{Threads: []ListThread{th}, locale: en}
		l.build(10, 4, 0, false, repo.Tally{})
		lc.lists[7] = l
	}
	fresh := func(th ListThread) string {
		html, err := lc.renderThread(ctx, 7, th.View)
		if err != nil {
			t.Fatal(err)
		}
		return html
	}
	item := func(c repo.Comment) string {
		html, err := views.CommentHTML(ctx, "p", c)
		if err != nil {
			t.Fatal(err)
		}
		return html
	}

	// A reply edited: the others, changed behind the list's back, keep their renderings.
	keep(views.ThreadView{Top: top, Replies: replies, After: 4})
	lc.lists[7].Threads[0].View.Top.Body = "Top, behind the back"
	lc.lists[7].Threads[0].View.Replies[0].Body = "reply, behind the back"
	edited := replies[1]
	edited.Body = "reply, edited"
	lc.Apply(7, []Change{{Seq: 11, Count: 4, Comment: &edited, Replies: 3, Item: item(edited), Locale: en}})
	got := lc.lists[7].Threads[0].HTML
	if strings.Contains(got, "behind the back") || !strings.Contains(got, "reply, edited") {
		t.Fatalf("a reply's change rendered another comment, or lost its own:\n%s", got)
	}
	// The broker's rendering is taken as it is, not made again.
	marked := replies[2]
	marked.Body = "reply, edited again"
	lc.Apply(7, []Change{{Seq: 12, Count: 4, Comment: &marked, Replies: 3, Item: strings.Replace(item(marked), "reply, edited again", "as the broker rendered it", 1), Locale: en}})
	if got := lc.lists[7].Threads[0].HTML; !strings.Contains(got, "as the broker rendered it") || strings.Contains(got, "behind the back") {
		t.Fatalf("the change's own rendering was not used:\n%s", got)
	}

	// With nothing behind its back, every change leaves what a fresh rendering makes.
	keep(views.ThreadView{Top: top, Replies: replies, After: 4})
	edited.Body = "reply, edited"
	lc.Apply(7, []Change{{Seq: 11, Count: 4, Comment: &edited, Replies: 3, Item: item(edited), Locale: en}})
	if th := lc.lists[7].Threads[0]; th.HTML != fresh(th) {
		t.Fatal("the conversation put together after a reply's change differs from a fresh rendering")
	}
	newTop := top
	newTop.Body = "Top, edited"
	lc.Apply(7, []Change{{Seq: 12, Count: 4, Comment: &newTop, Replies: 3, Item: item(newTop), Locale: en}})
	if th := lc.lists[7].Threads[0]; th.HTML != fresh(th) || !strings.Contains(th.HTML, "Top, edited") {
		t.Fatal("the conversation put together after the top's change differs from a fresh rendering")
	}
	gone := replies[0]
	gone.State = repo.StateDeleted
	lc.Apply(7, []Change{{Seq: 13, Count: 3, Comment: &gone, Replies: 2, Locale: en}})
	if th := lc.lists[7].Threads[0]; th.HTML != fresh(th) || len(th.View.Replies) != 2 {
		t.Fatal("the conversation put together after a reply left differs from a fresh rendering")
	}
	other := en
	if fr := i18n.Shipped().For("fr"); fr != nil {
		other = fr
	}
	added := repo.Comment{ID: 5, ThreadID: &top.ID, ParentID: &top.ID, Username: "Cy", Body: "late", State: repo.StatePublished, CreatedAt: at.Add(time.Hour)}
	lc.Apply(7, []Change{{Seq: 14, Count: 4, Comment: &added, Replies: 3, Item: item(added), Locale: other}})
	if th := lc.lists[7].Threads[0]; th.HTML != fresh(th) || !strings.Contains(th.HTML, "late") {
		t.Fatal("a reply rendered in another language than the list's was not rendered again in the list's")
	}
}
