package i18n

import (
	"slices"
	"strings"
	"testing"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

// shipped are the languages the blog promises complete.
var shipped = []string{"en", "de", "fr", "es", "pt-BR", "ru", "ja", "zh-Hans", "ar"}

func TestTheShippedLanguagesAreThere(t *testing.T) {
	have := Shipped().Languages()
	for _, lang := range shipped {
		if !slices.Contains(have, lang) {
			t.Errorf("no catalogue for %s (have %v)", lang, have)
		}
	}
}

// TestEveryCatalogueHasEveryWord is the check a new translation passes: every id of English exists, no id
// English lacks, no text left empty, and every {{.Placeholder}} kept (in a plural message, in its "other" form:
// a language may say "one comment" without the number).
func TestEveryCatalogueHasEveryWord(t *testing.T) {
	c := Shipped()
	en := c.Messages(Default)
	for _, lang := range c.Languages() {
		if lang == Default {
			continue
		}
		msgs := c.Messages(lang)
		for id, want := range en {
			got, ok := msgs[id]
			if !ok {
				t.Errorf("%s: %s is missing", lang, id)
				continue
			}
			if !isPlural(want) && isPlural(got) {
				// (A plural message may have its "other" form only: Japanese and Chinese have no other.)
				t.Errorf("%s: %s: plural forms for a message English has without", lang, id)
			}
			if got.Other == "" {
				t.Errorf("%s: %s: empty", lang, id)
			}
			if strings.HasPrefix(id, "date.") {
				// A date's pattern is the language's own: any of the date's parts, in its order.
				for _, p := range placeholders(got.Other) {
					if !slices.Contains([]string{"Day", "Month", "Mon", "MonthNum", "Year", "Time"}, p) {
						t.Errorf("%s: %s: {{.%s}} is not a part of a date", lang, id, p)
					}
				}
				continue
			}
			if w, g := placeholders(want.Other), placeholders(got.Other); !slices.Equal(w, g) {
				t.Errorf("%s: %s: placeholders %v, want %v (%q)", lang, id, g, w, got.Other)
			}
			for _, form := range forms(got) {
				for _, p := range placeholders(form) {
					if !slices.Contains(placeholders(want.Other), p) {
						t.Errorf("%s: %s: unknown placeholder {{.%s}} in %q", lang, id, p, form)
					}
				}
			}
		}
		for id := range msgs {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %s is not an id of English (renamed or removed?)", lang, id)
			}
		}
	}
}

// TestEveryPluralFormALanguageNeeds writes every plural message for the numbers up to 1,000 in every language:
// the form its rules pick must exist and come out filled.
func TestEveryPluralFormALanguageNeeds(t *testing.T) {
	c := Shipped()
	for _, lang := range c.Languages() {
		l := c.For(lang)
		for id, m := range c.Messages(Default) {
			if !isPlural(m) {
				continue
			}
			for n := 0; n <= 1000; n++ {
				got := l.N(id, n, "Kind", "K", "Max", "M", "Name", "N")
				if got == id || strings.Contains(got, "{{") || strings.Contains(got, "<no value>") {
					t.Fatalf("%s: %s for %d: %q", lang, id, n, got)
				}
			}
		}
	}
}

func TestPluralFormsOfRussianAndArabic(t *testing.T) {
	c := Shipped()
	for _, tc := range []struct {
		lang string
		want map[int]string
	}{
		{"ru", map[int]string{0: "0 комментариев", 1: "1 комментарий", 2: "2 комментария", 5: "5 комментариев",
			11: "11 комментариев", 21: "21 комментарий", 101: "101 комментарий"}},
		{"ar", map[int]string{0: "لا تعليقات", 1: "تعليق واحد", 2: "تعليقان", 5: "٥ تعليقات",
			11: "١١ تعليقًا", 21: "٢١ تعليقًا", 101: "١٠١ تعليق"}},
	} {
		l := c.For(tc.lang)
		for n, want := range tc.want {
			if got := l.N("comments.count", n); got != want {
				t.Errorf("%s, %d: %q, want %q", tc.lang, n, got, want)
			}
		}
	}
	// 102 is "few" again in Arabic, 3 in Russian, 12 "many" in both.
	if got := c.For("ar").N("comments.count", 103); got != "١٠٣ تعليقات" {
		t.Errorf("ar, 103: %q", got)
	}
	if got := c.For("ru").N("comments.count", 12); got != "12 комментариев" {
		t.Errorf("ru, 12: %q", got)
	}
}

func TestLanguagesFoundByTheirTags(t *testing.T) {
	c := Shipped()
	for _, tc := range []struct{ lang, words, html, dir string }{
		{"", "en", "en", "ltr"},
		{"de", "de", "de", "ltr"},
		{"de-AT", "de", "de-AT", "ltr"},
		{"pt", "pt-BR", "pt", "ltr"},
		{"pt-BR", "pt-BR", "pt-BR", "ltr"},
		{"zh", "zh-Hans", "zh", "ltr"},
		{"zh-CN", "zh-Hans", "zh-CN", "ltr"},
		{"ar", "ar", "ar", "rtl"},
		{"ar-EG", "ar", "ar-EG", "rtl"},
		// No Hebrew or Persian catalogue: English words, but the page is still laid out right to left, since
		// the posts are written in it.
		{"he", "en", "he", "rtl"},
		{"fa", "en", "fa", "rtl"},
		{"nl", "en", "nl", "ltr"},
		{"not a tag", "en", "en", "ltr"},
	} {
		l := c.For(tc.lang)
		if l.Words != tc.words || l.Lang != tc.html || l.Dir() != tc.dir {
			t.Errorf("For(%q): words %s, lang %s, dir %s; want %s, %s, %s", tc.lang, l.Words, l.Lang, l.Dir(), tc.words, tc.html, tc.dir)
		}
	}
}

func TestDatesAndNumbersInTheLanguagesOwnWay(t *testing.T) {
	c := Shipped()
	at := time.Date(2026, 3, 7, 9, 5, 0, 0, time.UTC)
	for _, tc := range []struct{ lang, long, exact, num string }{
		{"en", "7 March 2026", "7 Mar 2026, 09:05 UTC", "12,345"},
		{"de", "7. März 2026", "7. März 2026, 09:05 UTC", "12.345"},
		{"fr", "7 mars 2026", "7 mars 2026 à 09:05 UTC", "12\u00a0345"},
		{"ja", "2026年3月7日", "2026年3月7日 09:05 UTC", "12,345"},
		{"ru", "7 марта 2026 г.", "7 мар. 2026 г., 09:05 UTC", "12\u00a0345"},
		{"ar", "٧ مارس ٢٠٢٦", "٧ مارس ٢٠٢٦، ٠٩:٠٥ UTC", "١٢٬٣٤٥"},
	} {
		l := c.For(tc.lang)
		if got := l.Date(at); got != tc.long {
			t.Errorf("%s: Date %q, want %q", tc.lang, got, tc.long)
		}
		if got := l.Time(at); got != tc.exact {
			t.Errorf("%s: Time %q, want %q", tc.lang, got, tc.exact)
		}
		if got := l.Num(12345); got != tc.num {
			t.Errorf("%s: Num %q, want %q", tc.lang, got, tc.num)
		}
	}
}

func TestSentencesTheServerSaysAreTranslated(t *testing.T) {
	de := Shipped().For("de")
	if got := de.Say("Please enter your name."); got != "Bitte geben Sie Ihren Namen ein." {
		t.Errorf("Say: %q", got)
	}
	if got := de.Say("A sentence no catalogue has."); got != "A sentence no catalogue has." {
		t.Errorf("an unknown sentence changed: %q", got)
	}
	if got := de.T("no.such.id"); got != "no.such.id" {
		t.Errorf("an unknown id: %q", got)
	}
}

func forms(m *goi18n.Message) []string {
	var out []string
	for _, s := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func TestSentencesWithANumber(t *testing.T) {
	ar := Shipped().For("ar")
	if got := ar.Say("You are reacting too quickly. Please wait 12 seconds."); got != "أنت تتفاعل بسرعة كبيرة. انتظر ١٢ ثانية." {
		t.Errorf("Say: %q", got)
	}
	for _, tc := range []struct{ lang, english, want string }{
		{"de", "The time to change this comment (15 minutes) is over.", "Die Zeit, diesen Kommentar zu ändern (15 Minuten), ist vorbei."},
		{"de", "The time to change this comment (1 minute) is over.", "Die Zeit, diesen Kommentar zu ändern (1 Minute), ist vorbei."},
		{"ru", "The time to change this comment (1 minute) is over.", "Время на изменение этого комментария (1 минута) истекло."},
		{"ru", "The time to change this comment (3 minutes) is over.", "Время на изменение этого комментария (3 минуты) истекло."},
		{"ru", "The time to change this comment (15 minutes) is over.", "Время на изменение этого комментария (15 минут) истекло."},
		{"ar", "The time to change this comment (2 minutes) is over.", "انتهى الوقت المتاح لتغيير هذا التعليق (دقيقتان)."},
		{"ar", "The time to change this comment (15 minutes) is over.", "انتهى الوقت المتاح لتغيير هذا التعليق (١٥ دقيقة)."},
		{"ja", "The time to change this comment (1 minute) is over.", "このコメントを変更できる時間(1分)は過ぎました。"},
		{"en", "The time to change this comment (1 minute) is over.", "The time to change this comment (1 minute) is over."},
	} {
		if got := Shipped().For(tc.lang).Say(tc.english); got != tc.want {
			t.Errorf("%s: Say(%q) = %q, want %q", tc.lang, tc.english, got, tc.want)
		}
	}
}
