package views

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/a-h/templ"

	"blog/i18n"
)

// The words of the pages come from the locale the rendering context carries (i18n.With): the site's language,
// or a post's own for its page, its comments and their live changes. They are looked up while rendering, and a
// rendered page or list is kept as before, so a reader's request costs nothing more.

// t is the text of id in the context's language.
func t(ctx context.Context, id string) string { return i18n.From(ctx).T(id) }

// tf is t with placeholders filled (name, value pairs).
func tf(ctx context.Context, id string, pairs ...string) string {
	return i18n.From(ctx).F(id, pairs...)
}

// tn is the plural form of id for n, with {{.Count}} written as the language writes numbers.
func tn(ctx context.Context, id string, n int, pairs ...string) string {
	return i18n.From(ctx).N(id, n, pairs...)
}

// say translates a sentence the server wrote in English (a field's error, a refusal) when the catalogue has it.
func say(ctx context.Context, english string) string { return i18n.From(ctx).Say(english) }

// Lang is the language of the page (its <html lang>); Dir its direction.
func Lang(ctx context.Context) string { return i18n.From(ctx).Lang }

// Dir is the direction the page's language is written in ("ltr" or "rtl").
func Dir(ctx context.Context) string { return i18n.From(ctx).Dir() }

// num writes a number as the page's language does.
func num(ctx context.Context, n int) string { return i18n.From(ctx).Num(n) }

// HumanDate writes a day in full in the page's language ("2 January 2006").
func HumanDate(ctx context.Context, t time.Time) string { return i18n.From(ctx).Date(t) }

// ShortDate writes a day without its year, for the archive ("2 Jan").
func ShortDate(ctx context.Context, t time.Time) string { return i18n.From(ctx).ShortDate(t) }

// exactTime writes a moment to the minute, in UTC, in the page's language ("2 Jan 2006, 15:04 UTC"). The
// owner's console keeps ExactTime, in English.
func exactTime(ctx context.Context, t time.Time) string { return i18n.From(ctx).Time(t) }

// CountLabel is the "N comments" label ("No comments yet" for none).
func CountLabel(ctx context.Context, n int) string {
	if n == 0 {
		return t(ctx, "comments.none")
	}
	return tn(ctx, "comments.count", n)
}

// CountPosts says how many posts, in words.
func CountPosts(ctx context.Context, n int) string { return tn(ctx, "tag.posts", n) }

// CountChars writes a number of characters as the language groups digits ("5,000", "5.000").
func CountChars(ctx context.Context, n int) string { return num(ctx, n) }

// MoreRepliesLabel says how many replies "show more" pages in.
func MoreRepliesLabel(ctx context.Context, n int) string { return tn(ctx, "comments.more_replies", n) }

// ReadingTime is "5 min read".
func ReadingTime(ctx context.Context, minutes int) string { return tn(ctx, "post.reading", minutes) }

// scriptWords are what the page script says and writes, in the page's language: plain sentences by name, and
// for counts the plural forms (the script picks one with Intl.PluralRules and writes the number with
// Intl.NumberFormat, both in the page's language).
func scriptWords(ctx context.Context) string {
	w := map[string]any{}
	for _, id := range []string{"just_now", "deleted_own", "removed", "approved", "pinned", "unpinned", "closed",
		"opened", "new_from", "a_reader", "held", "posted", "saved"} {
		w[id] = t(ctx, "script."+id)
	}
	for _, id := range []string{"new_comments", "older_shown", "replies_shown", "chars_over", "chars_left"} {
		w[id] = i18n.From(ctx).Forms("script." + id)
	}
	w["nu"] = i18n.From(ctx).Digits()
	b, _ := json.Marshal(w) // strings only: cannot fail
	return string(b)
}

// strong is the text of id with one placeholder (name) shown in bold: a sentence such as "Send every new post
// to {{.Email}}?" keeps its emphasis in every language, wherever the language puts the address.
func strong(ctx context.Context, id, name, value string, pairs ...string) templ.Component {
	before, after, found := strings.Cut(tf(ctx, id, pairs...), "{{."+name+"}}")
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		if _, err := io.WriteString(w, templ.EscapeString(before)); err != nil {
			return err
		}
		if found {
			if _, err := io.WriteString(w, "<strong>"+templ.EscapeString(value)+"</strong>"+templ.EscapeString(after)); err != nil {
				return err
			}
		}
		return nil
	})
}
