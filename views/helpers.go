package views

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"blog/repo"
)

func ariaInvalid(errs repo.FieldErrors, name string) string {
	if errs[name] != "" {
		return "true"
	}
	return "false"
}

func describedBy(errs repo.FieldErrors, name, hint string) string {
	var ids []string
	if errs[name] != "" {
		ids = append(ids, "comment-"+name+"-error")
	}
	if hint != "" {
		ids = append(ids, "comment-"+name+"-hint")
	}
	return strings.Join(ids, " ")
}

func errorCount(ctx context.Context, errs repo.FieldErrors) string {
	if len(errs) == 1 {
		return t(ctx, "comments.not_posted_one")
	}
	return tf(ctx, "comments.not_posted_many", "Count", num(ctx, len(errs)))
}

func statusText(status int) string { return strconv.Itoa(status) }

func parentValue(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// bodyDescribedBy ties the comment field to its hint and, when there is one, its error.
func bodyDescribedBy(errs repo.FieldErrors) string {
	if errs["body"] != "" {
		return "comment-body-error comment-body-hint"
	}
	return "comment-body-hint"
}

// ShortURL is an address as a reader reads it in a link: without its scheme, a trailing slash and any query or
// fragment, and at most 80 characters.
func ShortURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	s := strings.TrimSuffix(u.Host+u.EscapedPath(), "/")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}
