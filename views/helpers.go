package views

import (
	"net/http"
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

func errorCount(errs repo.FieldErrors) string {
	if len(errs) == 1 {
		return "the field"
	}
	return "the " + strconv.Itoa(len(errs)) + " fields"
}

func statusText(status int) string {
	return strconv.Itoa(status) + " · " + http.StatusText(status)
}

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
