package views

import (
	"context"
	"fmt"
	"strings"

	"github.com/a-h/templ"

	"blog/repo"
)

// RepliesMark stands where a conversation's replies go in its top-level comment rendered by CommentHTML. No
// comment can write it: names are escaped and the sanitiser drops HTML comments from texts.
const RepliesMark = "<!--replies-->"

// CommentHTML renders a comment that shows as every reader sees it (no controls of a reader's own): a reply as in
// its conversation, a top-level comment with RepliesMark where its replies go. A change renders its comment once
// with it, for the stream's event (ChangeOf) and for the post's kept list (JoinThread).
func CommentHTML(ctx context.Context, slug string, c repo.Comment) (string, error) {
	var comp templ.Component
	if c.TopLevel() {
		comp = markedItem(slug, c)
	} else {
		comp = CommentItem(slug, c, ItemOpts{})
	}
	var b strings.Builder
	err := comp.Render(ctx, &b)
	return b.String(), err
}

// Unmarked is a comment rendered by CommentHTML as it stands alone: a top-level comment with an empty list of
// replies, as a stream's event carries it.
func Unmarked(html string) string {
	before, after, _ := cutMark(html)
	return before + after
}

// cutMark cuts a comment rendered by CommentHTML at its RepliesMark: the last one, which follows the text.
func cutMark(html string) (before, after string, ok bool) {
	i := strings.LastIndex(html, RepliesMark)
	if i < 0 {
		return html, "", false
	}
	return html[:i], html[i+len(RepliesMark):], true
}

// JoinThread puts a conversation together from its comments rendered by CommentHTML (top, and its replies by
// id), byte for byte as Thread renders it for every reader; a reply missing from replies is rendered here.
func JoinThread(ctx context.Context, slug string, t ThreadView, top string, replies map[int64]string) (string, error) {
	before, after, ok := cutMark(top)
	if !ok {
		return "", fmt.Errorf("conversation %d: its top-level comment has no place for replies", t.Top.ID)
	}
	var b strings.Builder
	b.WriteString(before)
	err := threadReplies(slug, t, func(r repo.Comment) templ.Component {
		if html, ok := replies[r.ID]; ok {
			return templ.Raw(html)
		}
		return CommentItem(slug, r, ItemOpts{})
	}).Render(ctx, &b)
	b.WriteString(after)
	return b.String(), err
}
