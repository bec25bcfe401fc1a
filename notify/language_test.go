package notify

import (
	"strings"
	"testing"

	"blog/i18n"
	"blog/repo"
)

// TestReaderMailsSpeakTheBlogsLanguage: the mails a reader gets (a reply, the confirmation, the link to their
// data) are in SITE_LANG, say so in their HTML, and put a quote's rule on the side lines start from; the
// comment's text is quoted as it was written.
func TestReaderMailsSpeakTheBlogsLanguage(t *testing.T) {
	for _, tc := range []struct{ lang, subject, wrote, side string }{
		{"de", "Ben hat auf Ihren Kommentar zu „Titel“ geantwortet", "Sie schrieben:", "border-left"},
		{"ar", "ردّ Ben على تعليقك على «Titel»", "كتبتَ:", "border-right"},
		{"en", "Ben replied to your comment on “Titel”", "You wrote:", "border-left"},
	} {
		s := &Service{cfg: Config{SiteTitle: "Notes", BaseURL: "https://blog.example", Locale: i18n.Shipped().For(tc.lang),
			Tokens: Tokens{Key: []byte("test key test key test key 0123")}}}
		parent := repo.Comment{ID: 1, Username: "Ann", Body: "Erste Worte, unübersetzt."}
		parent.User.Email = "ann@example.com"
		reply := repo.Comment{ID: 2, Username: "Ben", Body: "A reply <b>as written</b>."}
		m := s.replyMail(reply, parent, post{Slug: "p", Title: "Titel"})
		if m.Subject != "[Notes] "+tc.subject || !strings.Contains(m.Text, tc.wrote) || !strings.Contains(m.Text, "> Erste Worte, unübersetzt.") {
			t.Errorf("%s: reply mail %q\n%s", tc.lang, m.Subject, m.Text)
		}
		if !strings.Contains(m.HTML, `<html lang="`+tc.lang+`" dir="`+i18n.Shipped().For(tc.lang).Dir()+`">`) ||
			!strings.Contains(m.HTML, tc.side+": 3px") || !strings.Contains(m.HTML, "A reply &lt;b&gt;as written&lt;/b&gt;.") {
			t.Errorf("%s: reply mail's HTML: %s", tc.lang, m.HTML)
		}
		c := s.confirmMail(parent, post{Slug: "p", Title: "Titel"})
		if want := i18n.Shipped().For(tc.lang).T("mail.confirm_subject"); c.Subject != "[Notes] "+want {
			t.Errorf("%s: confirmation %q, want %q", tc.lang, c.Subject, want)
		}
	}
}

// TestDigestSpeaksItsMailsLanguage: several mails gathered into one for a reader are introduced in their
// language (the blog's when they differ), and the owner's digest stays English.
func TestDigestSpeaksItsMailsLanguage(t *testing.T) {
	s := &Service{cfg: Config{SiteTitle: "Notes", BaseURL: "https://blog.example", Locale: i18n.Shipped().For("de"),
		OwnerEmail: "owner@example.com", Tokens: Tokens{Key: []byte("test key test key test key 0123")}}}
	parent := repo.Comment{ID: 1, Username: "Ann", Body: "First."}
	parent.User.Email = "ann@example.com"
	reply := func(lang string) Mail {
		return s.replyMail(repo.Comment{ID: 2, Username: "Ben", Body: "Yes."}, parent, post{Slug: "p", Title: "T", Lang: lang})
	}
	for _, tc := range []struct {
		name, subject, lang string
		mails               []Mail
	}{
		{"Japanese", "[Notes] 3件のお知らせ", "ja", []Mail{reply("ja"), reply("ja"), reply("ja")}},
		{"Russian", "[Notes] 2 уведомления", "ru", []Mail{reply("ru"), reply("ru")}},
		{"the blog's", "[Notes] 2 Benachrichtigungen", "de", []Mail{reply(""), reply("")}},
		{"mixed", "[Notes] 2 Benachrichtigungen", "de", []Mail{reply("ja"), reply("ar")}},
		{"the owner's", "[Notes] 2 notifications", "en", []Mail{{To: "owner@example.com", Subject: "a"}, {To: "owner@example.com", Subject: "b"}}},
	} {
		d := s.digest(tc.mails)
		if d.Subject != tc.subject || !strings.Contains(d.HTML, `<html lang="`+tc.lang+`"`) {
			t.Errorf("%s: %q, want %q in %s", tc.name, d.Subject, tc.subject, d.HTML[:min(80, len(d.HTML))])
		}
	}
}
