package desk_test

import (
	"strings"
	"testing"

	"blog/content"
	"blog/desk"
	"blog/internal/dbtest"
	"blog/repo/writing"
)

// TestImageUsersNamesTheFolderFiles: the content folder's posts, drafts and pages that show an image (by its
// address or its dark-theme one, in the text or as the share image) are named; the desk's own posts in the
// loaded content are not named twice; an image nothing shows has no users.
func TestImageUsersNamesTheFolderFiles(t *testing.T) {
	const name = "0123456789abcdef01234567.png"
	lib := &content.Library{
		Posts:  []content.Post{{Slug: "shows-it", Title: "Shows it", HTML: `<p><img src="/media/u/0123456789abcdef01234567.dark.png"></p>`}, {Slug: "plain", Title: "Plain", HTML: "<p>No.</p>"}},
		Drafts: []content.Post{{Slug: "shares-it", Title: "Shares it", Image: "/media/u/" + name}},
		Pages:  []content.Page{{Slug: "about", Title: "About", HTML: `<img src="/media/u/` + name + `">`}},
	}
	lib.Posts = append(lib.Posts, content.Post{Origin: content.OriginDesk, Slug: "desk", Title: "Desk", HTML: `<img src="/media/u/` + name + `">`})
	s := &desk.Service{Store: writing.New(dbtest.SQLite(t)), Library: func() *content.Library { return lib }}
	users, more, err := s.ImageUsers(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(users, "\n")
	want := "“Shows it” (the content folder's post shows-it)\n“Shares it” (the content folder's post shares-it)\n“About” (the content folder's page about)"
	if got != want || more {
		t.Fatalf("users:\n%s\nwant:\n%s", got, want)
	}
	if users, _, err := s.ImageUsers(ctx, "fedcba9876543210fedcba98.png"); err != nil || len(users) != 0 {
		t.Fatalf("an image nothing shows: %v %v", users, err)
	}
}
