package handlers_test

import (
	"image/color"
	"net/http"
	"strings"
	"testing"

	"blog/database"
	"blog/internal/dbtest"
	"blog/internal/imagetest"
)

// TestDeletingAnImageInUseIsRefused: an image a desk post shows (in its working copy, published or as its
// share image; deleted posts too, which can come back) is not deleted: the answer names the posts and changes
// nothing. Taken out of them, it is deleted. SQLite and PostgreSQL.
func TestDeletingAnImageInUseIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db)
		o := a.owner(t)
		o.page(t, "/admin/uploads")
		resp, body := o.upload(t, "chart.png", imagetest.PNG(20, 10, color.RGBA{200, 10, 10, 255}), nil, false)
		img := answer(t, body)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
		name := strings.TrimPrefix(img.URL, "/media/u/")
		del := func() (*http.Response, string) {
			o.page(t, "/admin/uploads")
			return o.post(t, "/admin/uploads/"+name+"/delete", nil, false)
		}

		p := newDeskPost(t, o)
		if r, out := o.post(t, p+"/publish", deskForm("Shows <the> chart", "See:\n\n"+img.Markdown+"\n"), false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d %s", r.StatusCode, out)
		}
		q := newDeskPost(t, o)
		if r, _ := o.post(t, q, deskForm("Shares it", "No picture in the text.", "image", img.URL), false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", r.StatusCode)
		}
		resp, out := del()
		msg := doc(t, out).Text()
		if resp.StatusCode != http.StatusConflict || !strings.Contains(msg, "This image is shown by") ||
			!strings.Contains(msg, "“Shows <the> chart” (a post written here)") || !strings.Contains(msg, "“Shares it” (a post written here, a draft)") {
			t.Fatalf("deleting an image in use: %d %q", resp.StatusCode, msg)
		}
		if r, _ := a.fetchMedia(t, img.URL, nil); r.StatusCode != http.StatusOK {
			t.Fatalf("a refused delete removed the image: %d", r.StatusCode)
		}

		// Deleted posts count: they can be restored.
		if r, _ := o.post(t, q, deskForm("Shares it", "No picture in the text."), false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", r.StatusCode)
		}
		if r, _ := o.post(t, p+"/delete", nil, false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete the post: %d", r.StatusCode)
		}
		if resp, out := del(); resp.StatusCode != http.StatusConflict || !strings.Contains(out, "a post written here, deleted") {
			t.Fatalf("an image a deleted post shows: %d", resp.StatusCode)
		}
		if r, _ := o.post(t, p+"/restore", nil, false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("restore: %d", r.StatusCode)
		}
		if r, out := o.post(t, p+"/publish", deskForm("Shows <the> chart", "No chart any more."), false); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d %s", r.StatusCode, out)
		}
		if resp, out := del(); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("an image no post shows: %d %s", resp.StatusCode, out)
		}
	})
}
