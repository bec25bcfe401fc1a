package handlers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"blog/internal/dbtest"
	"blog/repo"
	"blog/views"
)

// avatarOf renders the picture an email must have: drawn from its hash keyed with key (nil: unkeyed, which
// anyone could compute from a guessed address).
func avatarOf(t testing.TB, key []byte, email string) string {
	t.Helper()
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(email)))
	var b strings.Builder
	if err := views.Avatar(hex.EncodeToString(m.Sum(nil)[:16])).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	d, _ := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	return avatarPath(d.Find("svg").First())
}

func avatarPath(s *goquery.Selection) string {
	fill, _ := s.Find("path").Attr("fill")
	d, _ := s.Find("path").Attr("d")
	return fill + " " + d
}

// TestAvatarsAreAlwaysKeyed renders a commenter's picture every way the blog shows a comment (the shared page, a
// reader's own page, the list reloaded after falling behind, older conversations, more replies, a stream's
// catch-up and its live events, the answer to a post and to an edit) and checks that each is the one drawn from
// the keyed hash: never one anybody could compute from a guessed address, the same everywhere, and the same
// after a restart.
func TestAvatarsAreAlwaysKeyed(t *testing.T) {
	db := dbtest.SQLite(t)
	a := newTestAppOn(t, db)
	ctx := context.Background()
	const email = "ada@example.com"
	want, unkeyed := avatarOf(t, testAvatarKey, email), avatarOf(t, nil, email)
	if want == unkeyed {
		t.Fatal("the keyed and unkeyed pictures are the same")
	}
	post := a.postID(t, a.slug)
	// Enough conversations for an older page, one long enough to page its replies.
	var top repo.Comment
	for i := range 203 {
		c, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post,
			Input: repo.CommentInput{Username: "Ada", Email: email, Body: "conversation " + itoa(int64(i))}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			top = c
		}
	}
	for i := range repo.ShownReplies + 2 {
		if _, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, ParentID: top.ID,
			Input: repo.CommentInput{Username: "Ada", Email: email, Body: "reply " + itoa(int64(i))}}); err != nil {
			t.Fatal(err)
		}
	}
	a.settle(t)
	srv := a.serve(t)
	stream := connectSSE(t, srv+"/posts/"+a.slug+"/events?after="+itoa(a.seq(t)-2), nil)

	seen := 0
	check := func(where, html string) {
		t.Helper()
		d := doc(t, html)
		pics := d.Find(`svg[data-testid="Avatar"]`)
		if pics.Length() == 0 {
			t.Errorf("%s: no avatar", where)
		}
		pics.Each(func(_ int, s *goquery.Selection) {
			seen++
			if got := avatarPath(s); got != want {
				t.Errorf("%s: avatar %q, want the keyed %q (unkeyed: %v)", where, got, want, got == unkeyed)
			}
		})
	}
	ada := a.newClient()
	_, posted := ada.comment(t, "Ada", email, "a new one")
	check("htmx answer to a post", posted)
	mine := a.commentByBody(t, "a new one")
	check("the author's own page", ada.page(t, "/posts/"+a.slug))
	_, edited := ada.post(t, "/posts/"+a.slug+"/comments/"+itoa(mine.ID), form("", "", "a new one, edited"), true)
	check("htmx answer to an edit", edited)
	check("a comment's own address", func() string { _, b := ada.do(t, htmxGet("/posts/"+a.slug+"/comments/"+itoa(mine.ID))); return b }())
	a.settle(t)
	for _, p := range []string{"/posts/" + a.slug, "/posts/" + a.slug + "/comments/fresh?min=999999",
		"/posts/" + a.slug + "/comments?before=" + itoa(top.ID+3),
		"/posts/" + a.slug + "/comments/" + itoa(top.ID) + "/replies?after=0"} {
		_, b := a.do(t, htmxGet(p))
		check(p, b)
		check(p+" without htmx", a.page(t, p))
	}
	for i := range 4 { // two caught up, two live (the post and the edit)
		check("stream event "+itoa(int64(i)), stream.nextComment(t).data)
	}
	// Another instance of the program on the same database (a restart) draws the same pictures.
	b := newTestAppOn(t, db)
	resp, body := b.do(t, httpReq(http.MethodGet, "/posts/"+a.slug, nil))
	if resp.StatusCode != 200 {
		t.Fatalf("after a restart: %d", resp.StatusCode)
	}
	check("after a restart", body)
	if seen < 500 {
		t.Fatalf("only %d avatars checked", seen)
	}
}
