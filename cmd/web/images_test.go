package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"blog/internal/dbtest"
	"blog/internal/imagetest"
)

// TestImagesOnTheCommandLine: `web images add` uploads through the same rules as the Images page while a server
// runs, which serves the image at once; a page named .png is refused with the page's sentence; list and delete
// do what they say.
func TestImagesOnTheCommandLine(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.SQLiteURL(t)}
	base, _ := startServer(t, env)
	dir := t.TempDir()
	photo, page := filepath.Join(dir, "photo.jpg"), filepath.Join(dir, "page.png")
	os.WriteFile(photo, imagetest.JPEGWithMetadata(24, 16), 0o644)
	os.WriteFile(page, []byte("<html><script>alert(1)</script></html>"), 0o644)

	out, err := webCmd(t, env, "", "images", "add", photo, "--alt", "A photo")
	md := regexp.MustCompile(`^!\[A photo\]\((/media/u/[0-9a-f]{24}\.jpg)\)$`).FindStringSubmatch(strings.TrimSpace(out))
	if err != nil || md == nil {
		t.Fatalf("web images add: %v\n%s", err, out)
	}
	resp, err := http.Get(base + md[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || strings.Contains(string(body), "GPS") {
		t.Fatalf("the running server serves %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if out, err := webCmd(t, env, "", "images", "add", page); err == nil || !strings.Contains(out, "is not an image the blog takes (its content is text/html") {
		t.Fatalf("a page named .png: %v\n%s", err, out)
	}
	name := strings.TrimPrefix(md[1], "/media/u/")
	if out, err := webCmd(t, env, "", "images", "list"); err != nil || !strings.Contains(out, name) || !strings.Contains(out, "24x16") || !strings.Contains(out, "photo.jpg") {
		t.Fatalf("web images list: %v\n%s", err, out)
	}
	if out, err := webCmd(t, env, "", "images", "delete", name); err != nil || !strings.Contains(out, "deleted "+name) {
		t.Fatalf("web images delete: %v\n%s", err, out)
	}
	if resp, _ := http.Get(base + md[1]); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a deleted image: %d", resp.StatusCode)
	}
}
