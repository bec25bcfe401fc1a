package notify_test

import (
	"context"
	"strings"
	"testing"

	"blog/database"
	"blog/i18n"
	"blog/internal/dbtest"
	"blog/internal/mailtest"
	"blog/notify"
	"blog/repo/posts"
)

// TestMailsAboutAPostSpeakItsLanguage: on a German blog, the confirmation and the reply mail about a comment on
// a post written in Japanese (its lang) are Japanese, and say so in their HTML; the same mails about a post that
// declares no language stay German. Through the real service, relay and database.
func TestMailsAboutAPostSpeakItsLanguage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ids, err := posts.NewPosts(db).SyncPosts(context.Background(), []posts.PostRef{{Slug: "hello-world", Title: "Hello, world"},
			{Slug: "nihongo", Title: "日本語の記事"}})
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, db, func(c *notify.Config) {
			c.OwnerEmail = ""
			c.Locale = i18n.Shipped().For("de")
			c.PostLang = func(id int64) string {
				if id == ids["nihongo"] {
					return "ja"
				}
				return ""
			}
			c.Post = func(id int64) (string, string) {
				if id == ids["nihongo"] {
					return "nihongo", "日本語の記事"
				}
				return "hello-world", "Hello, world"
			}
		})
		ctx := context.Background()
		ja, de := i18n.Shipped().For("ja"), i18n.Shipped().For("de")
		for _, tc := range []struct {
			post      int64
			ann, lang string
			words     *i18n.Locale
		}{{ids["nihongo"], "ann@example.com", "ja", ja}, {ids["hello-world"], "ben@example.com", "de", de}} {
			top := f.commentFrom(t, tc.post, tc.ann, "ip-"+tc.lang, "net-"+tc.lang, 0, true)
			confirm := to(f.marker(t, "confirm-"+tc.lang), tc.ann)
			if len(confirm) != 1 || confirm[0].Subject() != "[Field Notes] "+tc.words.T("mail.confirm_subject") ||
				!strings.Contains(confirm[0].HTML, `<html lang="`+tc.lang+`"`) {
				t.Fatalf("%s: confirmation %d, %q", tc.lang, len(confirm), subjects(confirm))
			}
			if err := f.store.Confirm(ctx, tc.ann); err != nil {
				t.Fatal(err)
			}
			f.commentFrom(t, tc.post, "grace-"+tc.lang+"@example.com", "ip-g"+tc.lang, "net-g"+tc.lang, top.ID, false)
			msgs := to(f.marker(t, "reply-"+tc.lang), tc.ann)
			want := "[Field Notes] " + tc.words.F("mail.reply_subject", "Name", "Someone", "Title", map[string]string{"ja": "日本語の記事", "de": "Hello, world"}[tc.lang])
			if len(msgs) != 2 || msgs[1].Subject() != want || !strings.Contains(msgs[1].Text, tc.words.T("mail.you_wrote")) ||
				!strings.Contains(msgs[1].HTML, `<html lang="`+tc.lang+`"`) {
				t.Fatalf("%s: reply mails %q, want the confirmation and %q", tc.lang, subjects(msgs), want)
			}
		}
	})
}

func subjects(ms []mailtest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject())
	}
	return out
}
