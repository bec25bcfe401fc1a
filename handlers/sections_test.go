package handlers_test

import (
	"strings"
	"testing"
)

// Only pages that are in a section mark it in the header: aria-current="page" on the link to the page itself,
// "true" on the section a page belongs to; error pages, a draft's preview and the tag pages (there is no Tags
// entry) mark nothing.
func TestHeaderMarksOnlyTheSectionAPageIsIn(t *testing.T) {
	base := newTestApp(t)
	a := newTestAppOn(t, base.db, withPosts(t, base.db, 23))
	owner := a.owner(t)
	tests := []struct {
		name, path string
		asOwner    bool
		wantStatus int
		// want is "href=aria-current" of the marked link, "" for none.
		want string
	}{
		{"home", "/", false, 200, "/=page"},
		{"home's page 2", "/page/2", false, 200, "/=true"},
		{"a post", "/posts/post-7", false, 200, "/=true"},
		{"archive", "/archive", false, 200, "/archive=page"},
		{"a page", "/about", false, 200, "/about=page"},
		{"tag index", "/tags", false, 200, ""},
		{"a tag", "/tags/odd", false, 200, ""},
		{"missing post", "/posts/nope", false, 404, ""},
		{"missing page under the archive", "/archive/nope", false, 404, ""},
		{"missing page", "/nope", false, 404, ""},
		{"missing tag", "/tags/nope", false, 404, ""},
		{"draft preview", "/posts/secret", true, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get := a.get
			if tt.asOwner {
				get = owner.get
			}
			resp, body := get(t, tt.path)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			var marked []string
			for _, l := range doc(t, body).Find(`nav[aria-label="Main"] a[aria-current]`).EachIter() {
				href, _ := l.Attr("href")
				cur, _ := l.Attr("aria-current")
				marked = append(marked, href+"="+cur)
			}
			if got := strings.Join(marked, " "); got != tt.want {
				t.Fatalf("marked %q, want %q", got, tt.want)
			}
		})
	}
}
