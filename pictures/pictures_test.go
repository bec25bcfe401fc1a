package pictures_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"blog/database"
	"blog/fetch"
	"blog/internal/dbtest"
	"blog/internal/imagetest"
	"blog/pictures"
	"blog/repo"
	store "blog/repo/pictures"
	"blog/repo/posts"
	"blog/repo/review"

	"github.com/go-rel/rel/where"
)

// halves is a w×h JPEG whose left half is red and right half blue, carrying a camera's metadata (EXIF with
// orientation 6, a quarter turn clockwise, and GPS, XMP and a comment holding imagetest.Secret, and a page
// after its end).
func halves(w, h int) []byte {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{220, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 20, 220, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, m, &jpeg.Options{Quality: 90})
	return imagetest.AddJPEGMetadata(b.Bytes())
}

// transparent is a w×h PNG with an alpha channel.
func transparent(w, h int) []byte {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		if i%4 == 3 {
			m.Pix[i] = 100
		}
	}
	var b bytes.Buffer
	png.Encode(&b, m)
	return b.Bytes()
}

// server serves files by path on loopback, counting the requests for each.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func serve(t *testing.T, files map[string][]byte) *server {
	s := &server{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png") // what a server says is never believed
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func newService(db *database.DB, allowPrivate bool) (*pictures.Service, *store.Store) {
	st := store.New(db)
	return pictures.New(st, fetch.New(pictures.FetchConfig(allowPrivate, "test")), pictures.Limits{}), st
}

// TestFetchOnceScaledAndClean fetches an author's photo on both databases: it is named by the blog, fetched once
// (a second ask, and an ask from a second instance, read the stored one), cut to its middle square, turned as its
// EXIF says, scaled to 128 pixels, a JPEG without a byte of the original's metadata; a picture with
// transparency stays a PNG, a small one keeps its size, and the same bytes from two addresses are stored once.
func TestFetchOnceScaledAndClean(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		srv := serve(t, map[string][]byte{"/me.jpg": halves(600, 400), "/alpha.png": transparent(300, 300),
			"/small.png": imagetest.PNG(40, 30, color.RGBA{10, 200, 10, 255}), "/copy.jpg": halves(600, 400),
			"/anim.gif": imagetest.GIFWithComment(64, 64)})
		svc, st := newService(db, true)
		local, err := svc.Fetch(ctx, srv.URL+"/me.jpg#fragment")
		if err != nil || !pictures.Local(local) || !strings.HasSuffix(local, ".jpg") {
			t.Fatalf("Fetch = %q, %v", local, err)
		}
		again, err := svc.Fetch(ctx, srv.URL+"/me.jpg")
		other, _ := newService(db, true) // a second instance on the same database
		third, err2 := other.Fetch(ctx, srv.URL+"/me.jpg")
		if err != nil || err2 != nil || again != local || third != local || srv.count("/me.jpg") != 1 {
			t.Fatalf("asked again: %q %q (%v %v), fetched %d times; want %q once", again, third, err, err2, srv.count("/me.jpg"), local)
		}
		p, b, err := svc.Open(ctx, strings.TrimPrefix(local, pictures.Prefix))
		if err != nil || p.ContentType != "image/jpeg" || p.Width != 128 || p.Height != 128 || int(p.Size) != len(b) {
			t.Fatalf("stored %+v (%d bytes), %v", p, len(b), err)
		}
		if bytes.Contains(b, []byte("GPS")) || bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte("html")) ||
			bytes.Contains(b, []byte("xmpmeta")) {
			t.Errorf("the stored picture keeps the original's metadata")
		}
		m, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil || m.Bounds().Dx() != 128 || m.Bounds().Dy() != 128 {
			t.Fatalf("decoded %v, %v", m.Bounds(), err)
		}
		// Turned a quarter clockwise: the left (red) half is now on top, the right (blue) below.
		if r, _, bl, _ := m.At(64, 16).RGBA(); r>>8 < 150 || bl>>8 > 100 {
			t.Errorf("top is %v, want red", m.At(64, 16))
		}
		if r, _, bl, _ := m.At(64, 112).RGBA(); bl>>8 < 150 || r>>8 > 100 {
			t.Errorf("bottom is %v, want blue", m.At(64, 112))
		}
		if copyOf, err := svc.Fetch(ctx, srv.URL+"/copy.jpg"); err != nil || copyOf != local {
			t.Errorf("the same picture at another address: %q, %v; want %q", copyOf, err, local)
		}
		alpha, err := svc.Fetch(ctx, srv.URL+"/alpha.png")
		if err != nil || !strings.HasSuffix(alpha, ".png") {
			t.Fatalf("transparent: %q, %v", alpha, err)
		}
		small, err := svc.Fetch(ctx, srv.URL+"/small.png")
		if err != nil {
			t.Fatal(err)
		}
		if p, _, err := svc.Open(ctx, strings.TrimPrefix(small, pictures.Prefix)); err != nil || p.Width != 30 || p.Height != 30 {
			t.Errorf("a small picture: %+v, %v; want its middle 30×30 square", p, err)
		}
		gif, err := svc.Fetch(ctx, srv.URL+"/anim.gif")
		if err != nil || !strings.HasSuffix(gif, ".jpg") {
			t.Fatalf("GIF: %q, %v", gif, err)
		}
		if _, b, _ := svc.Open(ctx, strings.TrimPrefix(gif, pictures.Prefix)); bytes.Contains(b, []byte(imagetest.Secret)) {
			t.Error("the GIF's comment is kept")
		}
		if n, err := st.Count(ctx); err != nil || n != 4 {
			t.Errorf("%d pictures stored (%v), want 4", n, err)
		}
	})
}

// TestFetchRefusals: what is not a picture the blog can read, or cannot be fetched, is refused with an error
// the caller can tell apart, and nothing is stored; a loopback address is refused by the client tests do not
// loosen; the bound on stored pictures holds.
func TestFetchRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		srv := serve(t, map[string][]byte{
			"/page.png":  []byte("<html><body>not a picture</body></html>"),
			"/bomb.png":  imagetest.HugePNG(100000, 100000),
			"/cut.jpg":   imagetest.JPEG(50, 50, color.Black)[:200],
			"/huge.jpg":  bytes.Repeat([]byte{0xFF}, pictures.DefaultMaxBytes+1),
			"/avif.avif": imagetest.AVIF(64, 64),
			"/a.png":     imagetest.PNG(10, 10, color.White),
			"/b.png":     imagetest.PNG(10, 10, color.Black),
			"/svg.svg":   []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		})
		svc, st := newService(db, true)
		for _, c := range []struct {
			path string
			want error
		}{
			{"/page.png", pictures.ErrNotPicture},
			{"/svg.svg", pictures.ErrNotPicture},
			{"/avif.avif", pictures.ErrNotPicture},
			{"/cut.jpg", pictures.ErrNotPicture},
			{"/bomb.png", pictures.ErrTooLarge},
			{"/huge.jpg", fetch.ErrTooLarge},
			{"/missing.png", pictures.ErrUnavailable},
		} {
			if local, err := svc.Fetch(ctx, srv.URL+c.path); !errors.Is(err, c.want) {
				t.Errorf("%s: %q, %v; want %v", c.path, local, err, c.want)
			}
		}
		for _, bad := range []string{"", "javascript:alert(1)", "file:///etc/passwd", "ftp://example.com/a.png", "/relative.png"} {
			if _, err := svc.Fetch(ctx, bad); !errors.Is(err, fetch.ErrBadURL) {
				t.Errorf("%q: %v; want ErrBadURL", bad, err)
			}
		}
		strict, _ := newService(db, false)
		if _, err := strict.Fetch(ctx, srv.URL+"/a.png"); !errors.Is(err, fetch.ErrForbiddenAddress) {
			t.Errorf("loopback: %v; want ErrForbiddenAddress", err)
		}
		if n, err := st.Count(ctx); err != nil || n != 0 {
			t.Fatalf("%d pictures stored after refusals (%v)", n, err)
		}
		one := pictures.New(st, fetch.New(pictures.FetchConfig(true, "test")), pictures.Limits{MaxCount: 1})
		if _, err := one.Fetch(ctx, srv.URL+"/a.png"); err != nil {
			t.Fatal(err)
		}
		if _, err := one.Fetch(ctx, srv.URL+"/b.png"); !errors.Is(err, pictures.ErrFull) {
			t.Errorf("past the bound: %v; want ErrFull", err)
		}
		if n, _ := st.Count(ctx); n != 1 {
			t.Errorf("%d pictures stored, want 1", n)
		}
	})
}

// TestErasureForgetsPictures: erasing the data of a commenter from another site takes their picture from their
// comments, and the blog's copy goes once no comment shows it (another site's comment showing the same picture
// keeps it until that one is erased too); the address is then fetched again if it is named again.
func TestErasureForgetsPictures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		srv := serve(t, map[string][]byte{"/me.jpg": halves(200, 200)})
		svc, st := newService(db, true)
		local, err := svc.Fetch(ctx, srv.URL+"/me.jpg")
		if err != nil {
			t.Fatal(err)
		}
		ids, err := posts.NewPosts(db).SyncPosts(ctx, []posts.PostRef{{Slug: "p", Title: "P"}})
		if err != nil {
			t.Fatal(err)
		}
		comments := review.NewComments(db)
		for _, email := range []string{"webmention@a.example", "webmention@b.example"} {
			if _, _, err := comments.CreateComment(ctx, repo.NewComment{PostID: ids["p"], Input: repo.CommentInput{Username: "Ada",
				Email: email, Body: "hello"}, MentionKind: repo.MentionReply, SourceURL: "https://x.example/", AuthorPhoto: local}); err != nil {
				t.Fatal(err)
			}
		}
		erase := func(email string) {
			t.Helper()
			if _, err := comments.EraseCommenter(ctx, email, repo.Action{Actor: "test", Name: "erase"}); err != nil {
				t.Fatal(err)
			}
		}
		erase("webmention@a.example")
		if n, _ := st.Count(ctx); n != 1 {
			t.Fatalf("%d pictures after erasing one of the two commenters showing it, want 1", n)
		}
		erase("webmention@b.example")
		if n, _ := st.Count(ctx); n != 0 {
			t.Fatalf("%d pictures after erasing both, want 0", n)
		}
		if n, _ := db.Repo().Count(ctx, "comments", where.Ne("author_photo", "")); n != 0 {
			t.Fatalf("%d erased comments still name a picture", n)
		}
		if again, err := svc.Fetch(ctx, srv.URL+"/me.jpg"); err != nil || again != local || srv.count("/me.jpg") != 2 {
			t.Fatalf("named again: %q, %v, fetched %d times; want it fetched again", again, err, srv.count("/me.jpg"))
		}
	})
}
