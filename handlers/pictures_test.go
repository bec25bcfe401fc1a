package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"context"

	"blog/fetch"
	"blog/handlers"
	"blog/internal/dbtest"
	"blog/internal/imagetest"
	"blog/pictures"
	"blog/repo"
	picturestore "blog/repo/pictures"

	"github.com/PuerkitoBio/goquery"
)

// TestPicturesServed: a picture fetched on one instance is served by another on the same database (PostgreSQL)
// and by the router on SQLite at /media/p/NAME, as an image with a year's caching, an ETag answered 304, and
// the same sandboxing policy as the owner's uploads; names the blog does not give are 404.
func TestPicturesServed(t *testing.T) {
	for name, url := range map[string]func(testing.TB) string{"sqlite": dbtest.MigratedSQLiteURL, "postgres": dbtest.MigratedPostgresURL} {
		t.Run(name, func(t *testing.T) { picturesServed(t, url(t)) })
	}
}

func picturesServed(t *testing.T, url string) {
	{
		db := dbtest.Open(t, url, false)
		src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(imagetest.JPEGWithMetadata(200, 200))
		}))
		defer src.Close()
		svc := pictures.New(picturestore.New(db), fetch.New(pictures.FetchConfig(true, "test")), pictures.Limits{})
		local, err := svc.Fetch(context.Background(), src.URL+"/me.jpg")
		if err != nil {
			t.Fatal(err)
		}
		serving := dbtest.Open(t, url, false) // another instance on the same database
		app := newTestAppOn(t, serving, func(c *handlers.Config) {
			c.Pictures = pictures.New(picturestore.New(serving), nil, pictures.Limits{})
		})
		resp, body := app.get(t, local)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" ||
			!strings.HasPrefix(body, "\xFF\xD8") || strings.Contains(body, imagetest.Secret) {
			t.Fatalf("GET %s: %d %q (%d bytes)", local, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		for h, want := range map[string]string{"Cache-Control": "public, max-age=31536000, immutable",
			"Content-Security-Policy":      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
			"Cross-Origin-Resource-Policy": "same-origin", "X-Content-Type-Options": "nosniff"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
		req := httptest.NewRequest(http.MethodGet, local, nil)
		req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
		if resp, _ := app.do(t, req); resp.StatusCode != http.StatusNotModified {
			t.Errorf("revalidation: %d, want 304", resp.StatusCode)
		}
		for _, bad := range []string{"/media/p/0123456789abcdef01234567.png", "/media/p/..%2f..%2fetc%2fpasswd",
			"/media/p/" + strings.TrimSuffix(strings.TrimPrefix(local, pictures.Prefix), ".jpg") + ".svg", "/media/p/"} {
			if resp, _ := app.get(t, bad); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", bad, resp.StatusCode)
			}
		}
	}
}

// TestCommentPicturesDrawnEveryWay renders a comment from another site that has its author's picture every way
// the blog shows a comment (the shared page, the list reloaded after falling behind, a conversation's replies,
// the stream's catch-up and its live event, another instance after a restart) and checks that each draws the
// blog's copy, and that a comment written here, and one whose stored picture is not one of the blog's
// addresses, keeps the drawn, keyed picture.
func TestCommentPicturesDrawnEveryWay(t *testing.T) {
	db := dbtest.SQLite(t)
	a := newTestAppOn(t, db)
	ctx := context.Background()
	post := a.postID(t, a.slug)
	const photo = "/media/p/0123456789abcdef01234567.jpg"
	top, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, Input: repo.CommentInput{Username: "Ada",
		Email: "webmention@ada.example", Body: "from elsewhere"}, SourceURL: "https://ada.example/reply",
		MentionKind: repo.MentionReply, AuthorPhoto: photo})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, Input: repo.CommentInput{Username: "Eve",
		Email: "webmention@eve.example", Body: "a stored picture that is not the blog's"}, SourceURL: "https://eve.example/r",
		MentionKind: repo.MentionReply, AuthorPhoto: "https://eve.example/me.jpg"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, ParentID: top.ID,
		Input: repo.CommentInput{Username: "Bob", Email: "bob@example.com", Body: "written here"}}); err != nil {
		t.Fatal(err)
	}
	a.settle(t)
	srv := a.serve(t)
	stream := connectSSE(t, srv+"/posts/"+a.slug+"/events?after="+itoa(a.seq(t)-3), nil)
	if _, _, err := a.store.CreateComment(ctx, repo.NewComment{PostID: post, ParentID: top.ID, Input: repo.CommentInput{Username: "Ada",
		Email: "webmention@ada.example", Body: "a live one"}, SourceURL: "https://ada.example/reply2",
		MentionKind: repo.MentionReply, AuthorPhoto: photo}); err != nil {
		t.Fatal(err)
	}
	seen := 0
	check := func(where, html string) {
		t.Helper()
		d := doc(t, html)
		d.Find(`[data-testid="CommentItem"] > [data-part=comment], li.reply > [data-part=comment]`).Each(func(_ int, s *goquery.Selection) {
			name := s.Find(`[data-testid="CommentAuthor"]`).First().Text()
			img := s.Find(`img[data-testid="Avatar"]`)
			svg := s.Find(`svg[data-testid="Avatar"]`)
			src, _ := img.Attr("src")
			switch name {
			case "Ada":
				if img.Length() != 1 || svg.Length() != 0 || src != photo {
					t.Errorf("%s: Ada's picture: %d img (src %q), %d drawn", where, img.Length(), src, svg.Length())
				}
			default:
				if img.Length() != 0 || svg.Length() != 1 {
					t.Errorf("%s: %s's picture: %d img, %d drawn; want the drawn one", where, name, img.Length(), svg.Length())
				}
			}
		})
		seen += strings.Count(html, `src="`+photo+`"`)
		if strings.Contains(html, "eve.example/me.jpg") {
			t.Errorf("%s: a picture on another host is drawn", where)
		}
	}
	for _, p := range []string{"/posts/" + a.slug, "/posts/" + a.slug + "/comments/fresh?min=999999",
		"/posts/" + a.slug + "/comments/" + itoa(top.ID) + "/replies?after=0"} {
		_, b := a.do(t, htmxGet(p))
		check(p, b)
		check(p+" without htmx", a.page(t, p))
	}
	for i := range 4 { // three caught up, one live
		check("stream event "+itoa(int64(i)), stream.nextComment(t).data)
	}
	b := newTestAppOn(t, db)
	resp, body := b.do(t, httpReq(http.MethodGet, "/posts/"+a.slug, nil))
	if resp.StatusCode != 200 {
		t.Fatalf("after a restart: %d", resp.StatusCode)
	}
	check("after a restart", body)
	if seen < 12 {
		t.Errorf("Ada's picture drawn %d times, want at least 12", seen)
	}
}
