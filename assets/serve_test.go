package assets

import (
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"
)

// Every embedded file is served with its type from the blog's own table, the same on every host (a script
// served with another type is refused under nosniff), and a file of an unknown kind stops the build's tests
// rather than being served as application/octet-stream.
func TestEmbeddedFilesHaveTheirTypes(t *testing.T) {
	set, err := NewSet(FS())
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	app.Get("/assets/*", set.Serve)
	for name, want := range map[string]string{"dist/app.css": "text/css", "dist/app.js": "text/javascript",
		"vendor/htmx.min.js": "text/javascript", "favicon.svg": "image/svg+xml", "share.png": "image/png"} {
		resp, err := app.Test(httptest.NewRequest("GET", set.URL(name), nil), -1) // no 1 s limit: other builds share the cores
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, want) {
			t.Errorf("%s: %d %q, want 200 %s", name, resp.StatusCode, ct, want)
		}
	}
	for name := range set.files {
		if strings.HasSuffix(name, ".woff2") && set.files[name].ctype != "font/woff2" {
			t.Errorf("%s: %s", name, set.files[name].ctype)
		}
	}
	_, err = NewSet(fstest.MapFS{"notes.txt": {Data: []byte("x")}})
	if err == nil || !strings.Contains(err.Error(), `".txt"`) {
		t.Errorf("a file of an unknown kind: %v", err)
	}
}
