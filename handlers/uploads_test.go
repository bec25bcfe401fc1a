package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"blog/database"
	"blog/handlers"
	"blog/handlers/signin"
	"blog/internal/dbtest"
	"blog/internal/imagetest"
	uploadstore "blog/repo/uploads"
	"blog/uploads"
)

// uploadRequest is a multipart POST to /admin/uploads with the file and the other fields, the client's form token
// in the header (as the page script sends it) asking for JSON, or in the form asking for a page.
func (c *client) uploadRequest(filename string, data []byte, fields map[string]string, page bool) *http.Request {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if filename != "" || data != nil {
		fw, _ := w.CreateFormFile("file", filename)
		fw.Write(data)
	}
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if page {
		w.WriteField("_csrf", c.token)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, "/admin/uploads", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if page {
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
	} else {
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-CSRF-Token", c.token)
	}
	return req
}

// upload sends the upload through the router.
func (c *client) upload(t testing.TB, filename string, data []byte, fields map[string]string, page bool) (*http.Response, string) {
	t.Helper()
	return c.do(t, c.uploadRequest(filename, data, fields, page))
}

// uploadOver sends the upload over TCP to a served instance at base, with the client's cookies.
func (c *client) uploadOver(t testing.TB, base, filename string, data []byte) (*http.Response, string) {
	t.Helper()
	req := c.uploadRequest(filename, data, nil, false)
	u, _ := url.Parse(base + "/admin/uploads")
	req.URL, req.Host = u, u.Host
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

type uploadAnswer struct {
	URL, Markdown, Name, Error string
	Existed                    bool
}

func answer(t testing.TB, body string) uploadAnswer {
	t.Helper()
	var a uploadAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("not JSON: %v\n%.300s", err, body)
	}
	return a
}

func countUploads(t testing.TB, db *database.DB) int {
	t.Helper()
	n, _, err := uploadstore.New(db).Totals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fetchMedia GETs an uploaded image as a reader (no cookies) and returns the answer and its bytes.
func (a *testApp) fetchMedia(t testing.TB, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, body := a.do(t, req)
	return resp, []byte(body)
}

// TestUploadAnImage: the owner uploads a PNG as the editor's script does and gets its address and Markdown; a
// reader gets the image with its type, a year's caching and an ETag, and nothing in it can run; the same image
// again is the same address; a plain form gets the Images page showing it; deleting it makes its address 404.
// Without the session or the form token nothing is stored.
func TestUploadAnImage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db)
		png := imagetest.PNG(40, 30, color.RGBA{10, 100, 120, 255})

		stranger := a.newClient()
		if resp, body := stranger.upload(t, "chart.png", png, nil, false); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"error"`) {
			t.Fatalf("without a session: %d %s", resp.StatusCode, body)
		}
		o := a.owner(t)
		o.page(t, "/admin/uploads")
		token := o.token
		o.token = "wrong"
		if resp, _ := o.upload(t, "chart.png", png, nil, false); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("without the form token: %d", resp.StatusCode)
		}
		o.token = token
		if n := countUploads(t, db); n != 0 {
			t.Fatalf("%d uploads stored by refused requests", n)
		}

		resp, body := o.upload(t, "chart.png", png, map[string]string{"alt": "A chart [draft]\nof rain"}, false)
		got := answer(t, body)
		if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(got.URL, "/media/u/") || !strings.HasSuffix(got.URL, ".png") ||
			got.Markdown != `![A chart \[draft\] of rain](`+got.URL+`)` {
			t.Fatalf("upload: %d %+v", resp.StatusCode, got)
		}
		img, data := a.fetchMedia(t, got.URL, nil)
		etag := img.Header.Get("ETag")
		if img.StatusCode != 200 || img.Header.Get("Content-Type") != "image/png" || !bytes.Equal(data, png) ||
			img.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || etag == "" ||
			img.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(img.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("served: %d %v (%d bytes)", img.StatusCode, img.Header, len(data))
		}
		if again, _ := a.fetchMedia(t, got.URL, map[string]string{"If-None-Match": etag}); again.StatusCode != http.StatusNotModified {
			t.Fatalf("revalidation: %d", again.StatusCode)
		}
		resp, body = o.upload(t, "same-picture.png", png, nil, false)
		if again := answer(t, body); resp.StatusCode != http.StatusOK || again.URL != got.URL || !again.Existed {
			t.Fatalf("the same image again: %d %+v", resp.StatusCode, again)
		}

		gif := imagetest.GIF(8, 8)
		resp, body = o.upload(t, "dot.gif", gif, map[string]string{"alt": "A dot"}, true)
		d := doc(t, body)
		shown, _ := d.Find(`[data-testid="JustUploaded"] img`).Attr("src")
		md, _ := d.Find(`[data-testid="JustUploaded"] input`).Attr("value")
		if resp.StatusCode != http.StatusCreated || !strings.HasSuffix(shown, ".gif") || md != "![A dot]("+shown+")" ||
			d.Find(`[data-testid="Upload"]`).Length() != 2 {
			t.Fatalf("plain form: %d shown %q markdown %q\n%.2000s", resp.StatusCode, shown, md, body)
		}
		list := o.page(t, "/admin/uploads")
		if !strings.Contains(list, "chart.png") || !strings.Contains(list, "40×30 pixels") || !strings.Contains(list, "2 of at most") {
			t.Fatalf("Images page:\n%s", list)
		}

		name := strings.TrimPrefix(got.URL, "/media/u/")
		resp, _ = o.post(t, "/admin/uploads/"+name+"/delete", nil, false)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/uploads?done=deleted" {
			t.Fatalf("delete: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if gone, _ := a.fetchMedia(t, got.URL, nil); gone.StatusCode != http.StatusNotFound {
			t.Fatalf("a deleted image: %d", gone.StatusCode)
		}
		if resp, _ := o.post(t, "/admin/uploads/"+name+"/delete", nil, false); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("deleting it again: %d", resp.StatusCode)
		}
		if resp, _ := a.fetchMedia(t, "/media/u/../../app.db", nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a made-up name: %d", resp.StatusCode)
		}
	})
}

// TestHostileUploads: files that are not what their names say, that hide a second format or metadata, that are
// too large in bytes or pixels, or SVGs that could run code: each is refused with a sentence that says why (and
// nothing is stored), or stored without what it hid.
func TestHostileUploads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db)
		o := a.owner(t)
		o.page(t, "/admin/uploads")
		for _, tc := range []struct {
			name, file string
			data       []byte
			status     int
			says       string
		}{
			{"PHP named .png", "shell.png", []byte("<?php system($_GET['c']); ?>"), 422, "not an image the blog takes (its content is text/plain"},
			{"HTML named .png", "page.png", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), 422, "its content is text/html"},
			{"HTML named .jpg with a JPEG's first bytes", "x.jpg", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, "<html><script>alert(1)</script>"...), 422, "could not be read"},
			{"empty", "empty.png", []byte{}, 422, "this one is empty"},
			{"a PNG cut short", "short.png", imagetest.PNG(10, 10, color.Black)[:40], 422, "could not be read"},
			{"too large", "big.png", append(imagetest.PNG(4, 4, color.Black), make([]byte, uploads.DefaultMaxBytes)...), 413, "an image can be at most 10 MiB"},
			{"huge dimensions", "bomb.png", imagetest.HugePNG(100000, 100000), 413, "100000×100000 pixels"},
			{"wide and short past the bound", "strip.png", imagetest.HugePNG(1<<30, 1), 413, "pixels"},
			{"SVG with a script", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 422, "<script> element"},
			{"SVG with an event handler", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>`), 422, "event handler (onload"},
			{"SVG linking out", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="https://evil.example/t.png"/></svg>`), 422, "refers to something outside it"},
			{"SVG with javascript: in a link", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect width="9" height="9"/></a></svg>`), 422, "refers to something outside it"},
			{"SVG with entities", "x.svg", []byte(`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>`), 422, "document type declaration"},
			{"SVG with a foreign object", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><iframe src="/"/></body></foreignObject></svg>`), 422, "<foreignObject> element"},
			{"SVG importing a stylesheet", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/x.css);</style></svg>`), 422, "stylesheet loads something"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := countUploads(t, db)
				resp, body := o.upload(t, tc.file, tc.data, nil, false)
				got := answer(t, body)
				if resp.StatusCode != tc.status || !strings.Contains(got.Error, tc.says) {
					t.Fatalf("%d %q, want %d saying %q", resp.StatusCode, got.Error, tc.status, tc.says)
				}
				if n := countUploads(t, db); n != before {
					t.Fatalf("%d uploads after a refusal, %d before", n, before)
				}
				// The plain form says the same on the Images page.
				resp, body = o.upload(t, tc.file, tc.data, nil, true)
				if resp.StatusCode != tc.status || !strings.Contains(doc(t, body).Find(`[data-testid="Notice"][role="alert"]`).Text(), tc.says) {
					t.Fatalf("plain form: %d\n%.1500s", resp.StatusCode, body)
				}
			})
		}

		// Files that are images but hide metadata or a second format are stored without it.
		for _, tc := range []struct {
			name, file, ctype string
			data              []byte
			check             func(t *testing.T, stored []byte)
		}{
			{"a PNG with text, EXIF and a page after its end", "polyglot.png", "image/png", imagetest.PNGWithMetadata(16, 16), nil},
			{"a camera's JPEG with GPS, XMP, a comment and a page after its end", "photo.jpg", "image/jpeg", imagetest.JPEGWithMetadata(32, 24),
				func(t *testing.T, stored []byte) {
					// The orientation stays, so the photo still shows the right way up.
					if !bytes.Contains(stored, []byte{0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, 6}) {
						t.Fatal("the orientation was lost")
					}
				}},
			{"a GIF with a comment and a page after its end", "x.gif", "image/gif", imagetest.GIFWithComment(12, 12), nil},
			{"a WebP with EXIF", "x.webp", "image/webp", imagetest.WebP(), func(t *testing.T, stored []byte) {
				if stored[20]&0x08 != 0 {
					t.Fatal("the VP8X EXIF flag is still set")
				}
			}},
			{"an AVIF with Exif and XMP items, an XMP box and a page after its end", "x.avif", "image/avif", avifWithMetadata(), func(t *testing.T, stored []byte) {
				if _, img := imagetest.AVIFWithMetadata(32, 24, false); !bytes.Contains(stored, img) {
					t.Fatal("the AVIF's image item changed")
				}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := o.upload(t, tc.file, tc.data, nil, false)
				got := answer(t, body)
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("%d %s", resp.StatusCode, body)
				}
				img, stored := a.fetchMedia(t, got.URL, nil)
				if img.StatusCode != 200 || img.Header.Get("Content-Type") != tc.ctype {
					t.Fatalf("served %d %s", img.StatusCode, img.Header.Get("Content-Type"))
				}
				for _, hidden := range []string{"GPS 51.5007N", "<script>", "<html>", "xmpmeta"} {
					if bytes.Contains(stored, []byte(hidden)) {
						t.Fatalf("the stored image still holds %q", hidden)
					}
				}
				if len(stored) >= len(tc.data) {
					t.Fatalf("stored %d bytes of %d: nothing removed", len(stored), len(tc.data))
				}
				if tc.check != nil {
					tc.check(t, stored)
				}
				// What is stored is still a whole image: decoded in full (every chunk's checksum, every scan). Go
				// decodes neither WebP's lossy frames nor AVIF; the AVIF case checks its image item instead.
				if tc.ctype != "image/webp" && tc.ctype != "image/avif" {
					if _, _, err := image.Decode(bytes.NewReader(stored)); err != nil {
						t.Fatalf("the stored image does not decode: %v", err)
					}
				}
			})
		}

		// An SVG without anything active is taken, and offered as a download when opened at its address.
		resp, body := o.upload(t, "diagram.svg", []byte(`<?xml version="1.0"?><!-- a diagram --><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><style>@media (prefers-color-scheme: dark) { rect { fill: #eee } }</style><defs><linearGradient id="g"/></defs><rect width="10" height="10" fill="url(#g)"/><use href="#g"/></svg>`), nil, false)
		got := answer(t, body)
		if resp.StatusCode != http.StatusCreated || !strings.HasSuffix(got.URL, ".svg") {
			t.Fatalf("a plain SVG: %d %s", resp.StatusCode, body)
		}
		img, _ := a.fetchMedia(t, got.URL, nil)
		if img.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(img.Header.Get("Content-Disposition"), "attachment") ||
			!strings.Contains(img.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("SVG served with %v", img.Header)
		}
		// AVIF: the kind and size come from its boxes.
		resp, body = o.upload(t, "x.avif", imagetest.AVIF(640, 480), nil, false)
		if resp.StatusCode != http.StatusCreated || !strings.HasSuffix(answer(t, body).URL, ".avif") {
			t.Fatalf("AVIF: %d %s", resp.StatusCode, body)
		}
		if resp, body := o.upload(t, "big.avif", imagetest.AVIF(100000, 100000), nil, false); resp.StatusCode != 413 {
			t.Fatalf("a huge AVIF: %d %s", resp.StatusCode, body)
		}
	})
}

// TestUploadBodyBounds: only the owner's upload may send more than the blog's usual body bound, and only up to
// the image bound and room for the form; past it the answer is a 413 that says the bound. Without a session, or
// to any other address, a body past MaxBody is refused as before; the desk's editor may send up to MaxDeskBody,
// with the session only.
func TestUploadBodyBounds(t *testing.T) {
	db := dbtest.SQLite(t)
	a := newTestAppOn(t, db, func(c *handlers.Config) {
		c.Uploads = uploads.New(uploadstore.New(db), uploads.Limits{MaxBytes: 200 << 10})
	})
	o := a.owner(t)
	o.page(t, "/admin/uploads")
	base := a.serve(t)
	padded := func(n int) []byte {
		p := imagetest.PNG(4, 4, color.White)
		return append(p[:33], append(imagetest.Chunk("prVt", make([]byte, n)), p[33:]...)...)
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		status int
		says   string
	}{
		{"under the bound", padded(150 << 10), http.StatusCreated, ""},
		{"over the image bound", padded(250 << 10), http.StatusRequestEntityTooLarge, "an image can be at most 200 KiB"},
		{"over the request bound", padded(400 << 10), http.StatusRequestEntityTooLarge, "This file is too large: an image can be at most 200 KiB."},
	} {
		resp, body := o.uploadOver(t, base, "x.png", tc.data)
		if resp.StatusCode != tc.status || tc.says != "" && !strings.Contains(answer(t, body).Error, tc.says) {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
	}
	if resp, _ := a.newClient().uploadOver(t, base, "x.png", padded(100<<10)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a large upload without a session: %d, want 413", resp.StatusCode)
	}
	forger := a.newClient()
	forger.cookies[signin.SessionCookie] = strings.Repeat("A", 43)
	if resp, _ := forger.uploadOver(t, base, "x.png", padded(100<<10)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a large upload with a made-up session: %d, want 413", resp.StatusCode)
	}
	big := url.Values{"body": {strings.Repeat("x", handlers.MaxBody+1)}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, base+"/posts/"+a.slug+"/comments", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: signin.SessionCookie, Value: o.cookies[signin.SessionCookie]})
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a comment past MaxBody with the session: %v %v, want 413", resp, err)
	} else {
		resp.Body.Close()
	}
	// The desk's editor may send a long post (up to MaxDeskBody), with the session only.
	long := url.Values{"body": {strings.Repeat("x", 3*handlers.MaxBody)}, "_csrf": {o.token}}.Encode()
	preview := func(session string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/admin/posts/preview", strings.NewReader(long))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("X-CSRF-Token", o.token)
		if session != "" {
			req.AddCookie(&http.Cookie{Name: signin.SessionCookie, Value: session})
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := preview(o.cookies[signin.SessionCookie]); got != http.StatusOK {
		t.Errorf("the owner's preview of a %d-byte post: %d, want 200", 3*handlers.MaxBody, got)
	}
	for _, session := range []string{"", strings.Repeat("A", 43)} {
		if got := preview(session); got != http.StatusRequestEntityTooLarge {
			t.Errorf("a long desk body with session %q: %d, want 413", session, got)
		}
	}
	if n := countUploads(t, db); n != 1 {
		t.Fatalf("%d uploads stored, want 1", n)
	}
}

// TestUploadedImageServedByAnotherInstance: an image uploaded on one instance is served by another on the same
// PostgreSQL database, byte for byte, and its deletion there too.
func TestUploadedImageServedByAnotherInstance(t *testing.T) {
	url := dbtest.PostgresURL(t)
	instA := newTestAppOn(t, dbtest.Open(t, url, true))
	instB := newTestAppOn(t, dbtest.Open(t, url, false))
	o := instA.owner(t)
	o.page(t, "/admin/uploads")
	jpg := imagetest.JPEG(64, 48, color.RGBA{200, 120, 0, 255})
	resp, body := o.upload(t, "sunset.jpg", jpg, map[string]string{"alt": "A sunset"}, false)
	got := answer(t, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload on A: %d %s", resp.StatusCode, body)
	}
	img, data := instB.fetchMedia(t, got.URL, nil)
	if img.StatusCode != 200 || img.Header.Get("Content-Type") != "image/jpeg" || !bytes.Equal(data, jpg) {
		t.Fatalf("B serves %d %s, %d bytes (want %d)", img.StatusCode, img.Header.Get("Content-Type"), len(data), len(jpg))
	}
	ob := instB.owner(t)
	if list := ob.page(t, "/admin/uploads"); !strings.Contains(list, "sunset.jpg") || !strings.Contains(list, got.Markdown) {
		t.Fatalf("B's Images page does not list A's upload:\n%s", list)
	}
	if resp, _ := ob.post(t, "/admin/uploads/"+strings.TrimPrefix(got.URL, "/media/u/")+"/delete", nil, false); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete on B: %d", resp.StatusCode)
	}
	if gone, _ := instA.fetchMedia(t, got.URL, nil); gone.StatusCode != http.StatusNotFound {
		t.Fatalf("A still serves an image deleted on B: %d", gone.StatusCode)
	}
}

// TestDarkVariants: an uploaded image's dark-theme address serves the image itself until a variant is uploaded
// (chosen on the form, or named NAME.dark.EXT after the image's file), then the variant; it is kept five minutes,
// not for good, and its ETag follows what it serves. A variant cannot be chosen for an image that does not exist.
func TestDarkVariants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db)
		o := a.owner(t)
		o.page(t, "/admin/uploads")
		light := imagetest.PNG(20, 10, color.White)
		_, body := o.upload(t, "diagram.png", light, nil, false)
		lightURL := answer(t, body).URL
		darkURL := strings.TrimSuffix(lightURL, ".png") + ".dark.png"

		resp, data := a.fetchMedia(t, darkURL, nil)
		if resp.StatusCode != 200 || !bytes.Equal(data, light) || resp.Header.Get("Cache-Control") != "public, max-age=300" {
			t.Fatalf("dark address without a variant: %d %v", resp.StatusCode, resp.Header)
		}
		before := resp.Header.Get("ETag")

		dark := imagetest.PNG(20, 10, color.Black)
		resp, body = o.upload(t, "diagram.dark.png", dark, nil, false)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("variant by its name: %d %s", resp.StatusCode, body)
		}
		resp, data = a.fetchMedia(t, darkURL, map[string]string{"If-None-Match": before})
		if resp.StatusCode != 200 || !bytes.Equal(data, dark) || resp.Header.Get("ETag") == before {
			t.Fatalf("dark address after the variant: %d %v", resp.StatusCode, resp.Header)
		}
		if page := o.page(t, "/admin/uploads"); !strings.Contains(page, "dark-theme variant of "+strings.TrimPrefix(lightURL, "/media/u/")) || !strings.Contains(page, "has a dark-theme variant") {
			t.Fatalf("the Images page does not say which is the variant:\n%s", page)
		}

		// Chosen on the form: a newer variant wins.
		darker := imagetest.PNG(20, 10, color.RGBA{20, 20, 40, 255})
		resp, body = o.upload(t, "anything.png", darker, map[string]string{"dark_of": lightURL}, true)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("variant chosen on the form: %d %.1000s", resp.StatusCode, body)
		}
		if _, data = a.fetchMedia(t, darkURL, nil); !bytes.Equal(data, darker) {
			t.Fatal("the dark address does not serve the newest variant")
		}
		if resp, body := o.upload(t, "x.png", imagetest.PNG(3, 3, color.Black), map[string]string{"dark_of": "0123456789abcdef01234567.png"}, false); resp.StatusCode != 422 || !strings.Contains(answer(t, body).Error, "no uploaded image") {
			t.Fatalf("a variant of nothing: %d %s", resp.StatusCode, body)
		}
		if resp, _ := a.fetchMedia(t, "/media/u/0123456789abcdef01234567.dark.png", nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the dark address of nothing: %d", resp.StatusCode)
		}
	})
}

// TestUploadTotalsAreBounded: past the bound on the number of stored images an upload is refused with a sentence
// that says what to do, and nothing is stored; the same image again is still answered (nothing new is stored).
func TestUploadTotalsAreBounded(t *testing.T) {
	db := dbtest.SQLite(t)
	a := newTestAppOn(t, db, func(c *handlers.Config) {
		c.Uploads = uploads.New(uploadstore.New(db), uploads.Limits{MaxCount: 2})
	})
	o := a.owner(t)
	o.page(t, "/admin/uploads")
	first := imagetest.PNG(2, 2, color.White)
	for i, img := range [][]byte{first, imagetest.PNG(3, 3, color.White)} {
		if resp, body := o.upload(t, "x.png", img, nil, false); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := o.upload(t, "x.png", imagetest.PNG(4, 4, color.White), nil, false)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(answer(t, body).Error, "delete some in the console first") {
		t.Fatalf("past the bound: %d %s", resp.StatusCode, body)
	}
	if resp, _ := o.upload(t, "again.png", first, nil, false); resp.StatusCode != http.StatusOK {
		t.Fatalf("an image stored before, at the bound: %d", resp.StatusCode)
	}
	if n := countUploads(t, db); n != 2 {
		t.Fatalf("%d stored, want 2", n)
	}
}

// BenchmarkServeUploadedImage serves a 200 KiB uploaded image from the database through the app's handler
// on SQLite, and answers its revalidation (an If-None-Match that matches).
func BenchmarkServeUploadedImage(b *testing.B) {
	db := dbtest.SQLite(b)
	a := newTestAppOn(b, db)
	o := a.owner(b)
	o.page(b, "/admin/uploads")
	p := imagetest.PNG(4, 4, color.White)
	img := append(p[:33], append(imagetest.Chunk("IDAT", make([]byte, 200<<10)), p[33:]...)...)
	resp, body := o.upload(b, "big.png", img, nil, false)
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("%d %s", resp.StatusCode, body)
	}
	path := answer(b, body).URL
	h := a.app.Handler()
	for _, tc := range []struct{ name, etag string }{{"full", ""}, {"304", `"` + strings.TrimSuffix(strings.TrimPrefix(path, "/media/u/"), ".png") + `"`}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					var ctx fasthttp.RequestCtx
					ctx.Request.SetRequestURI(path)
					if tc.etag != "" {
						ctx.Request.Header.Set("If-None-Match", tc.etag)
					}
					h(&ctx)
					if s := ctx.Response.StatusCode(); s != 200 && s != 304 {
						b.Fatal(s)
					}
				}
			})
		})
	}
}

// TestUploadBoundHoldsAcrossInstances: uploads at once on two instances sharing PostgreSQL never pass the bound
// on the number of images together: of 12 different images sent at once with room for 5, exactly 5 are stored
// and the rest are refused with a 413.
func TestUploadBoundHoldsAcrossInstances(t *testing.T) {
	dbURL := dbtest.PostgresURL(t)
	lim := func(db *database.DB) appOption {
		return func(c *handlers.Config) { c.Uploads = uploads.New(uploadstore.New(db), uploads.Limits{MaxCount: 5}) }
	}
	dbA := dbtest.Open(t, dbURL, true)
	dbB := dbtest.Open(t, dbURL, false)
	onA := newTestAppOn(t, dbA, lim(dbA)).owner(t)
	// Signed in on B with the password A's helper set (setting it again would end A's session).
	onB := newTestAppOn(t, dbB, lim(dbB)).newClient()
	onB.get(t, "/admin/login")
	if resp, _ := onB.post(t, "/admin/login", url.Values{"password": {testPassword}}, false); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in on B: %d", resp.StatusCode)
	}
	owners := []*client{onA, onB}
	for _, o := range owners {
		o.page(t, "/admin/uploads")
	}
	statuses := make(chan int, 12)
	for i := range 12 {
		go func() {
			req := owners[i%2].uploadRequest("x.png", imagetest.PNG(2+i, 2, color.White), nil, false)
			for k, v := range owners[i%2].cookies {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			resp, err := owners[i%2].a.app.Test(req, -1)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	count := map[int]int{}
	for range 12 {
		count[<-statuses]++
	}
	if count[http.StatusCreated] != 5 || count[http.StatusRequestEntityTooLarge] != 7 {
		t.Fatalf("answers %v, want 5 created and 7 refused", count)
	}
	if n := countUploads(t, dbA); n != 5 {
		t.Fatalf("%d stored, want 5", n)
	}
}

func avifWithMetadata() []byte {
	file, _ := imagetest.AVIFWithMetadata(32, 24, false)
	return file
}
