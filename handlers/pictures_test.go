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
	picturestore "blog/repo/pictures"
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
