package desk

import (
	"context"
	"strings"

	"blog/content"
	"blog/repo/writing"
)

// maxUsers bounds how many posts ImageUsers names.
const maxUsers = 20

// ImageUsers names the posts and pages that show the uploaded image called name (its address, or its dark-theme
// one): the desk's, in their working copy or as published, deleted ones too (they can be restored), and the
// content folder's, as loaded now. Each is named as the owner knows it: its title (or address) and where it is.
// At most 20 are named; more is true when there are others.
func (s *Service) ImageUsers(ctx context.Context, name string) (users []string, more bool, err error) {
	// The hash names the image in every address it has (NAME.EXT and NAME.dark.EXT).
	key, _, _ := strings.Cut(name, ".")
	if key == "" {
		return nil, false, nil
	}
	ws, err := s.Store.Mentioning(ctx, key, maxUsers+1)
	if err != nil {
		return nil, false, err
	}
	for _, w := range ws {
		title := w.Title
		if title == "" {
			title = "untitled"
		}
		where := "a post written here"
		if w.Kind == writing.KindPage {
			where = "a page written here"
		}
		if w.RemovedAt != nil {
			where += ", deleted"
		} else if w.Live == "" {
			where += ", a draft"
		}
		users = append(users, "“"+title+"” ("+where+")")
	}
	if s.Library != nil {
		lib := s.Library()
		uses := func(html string, image string) bool {
			return strings.Contains(html, key) || strings.Contains(image, key)
		}
		for _, list := range [][]content.Post{lib.Posts, lib.Drafts} {
			for _, p := range list {
				if p.Origin == "" && uses(string(p.HTML), p.Image) {
					users = append(users, "“"+p.Title+"” (the content folder's post "+p.Slug+")")
				}
			}
		}
		for _, p := range lib.Pages {
			if p.Origin == "" && uses(string(p.HTML), "") {
				users = append(users, "“"+p.Title+"” (the content folder's page "+p.Slug+")")
			}
		}
	}
	if len(users) > maxUsers {
		return users[:maxUsers], true, nil
	}
	return users, false, nil
}
