package i18n

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// Locale is one language as pages use it: its words, plural forms, numbers and dates.
type Locale struct {
	// Lang is the language as configured (SITE_LANG or a post's lang), normalised: the page's <html lang>.
	Lang string
	// Words is the shipped catalogue its words come from ("en" when none is close to Lang).
	Words string

	dir     string
	tag     language.Tag
	plain   map[string]string
	plural  map[string]bool
	says    map[string]string
	sayings []saying
	forms   map[string]map[string]string
	dates   dates
	num     numberFormat
}

// numberFormat is how a language writes whole numbers: its digits, the mark between groups of three, and the
// minus sign.
type numberFormat struct {
	// zero is the language's digit zero; its digits follow it in Unicode (all the shipped ones do).
	zero  rune
	group string
	minus string
}

// numberFormats are CLDR's decimal formats for the shipped catalogues, as golang.org/x/text/number writes them
// (TestNumbersAsCLDRWritesThem compares them for every catalogue): kept here rather than linking its printer,
// which cost the binary 0.17 MB for grouping digits.
var numberFormats = map[string]numberFormat{
	"ar":      {zero: '٠', group: "٬", minus: "\u061c-"},
	"de":      {zero: '0', group: ".", minus: "-"},
	"en":      {zero: '0', group: ",", minus: "-"},
	"es":      {zero: '0', group: ".", minus: "-"},
	"fr":      {zero: '0', group: "\u00a0", minus: "-"},
	"ja":      {zero: '0', group: ",", minus: "-"},
	"pt-BR":   {zero: '0', group: ".", minus: "-"},
	"ru":      {zero: '0', group: "\u00a0", minus: "-"},
	"zh-Hans": {zero: '0', group: ",", minus: "-"},
}

// Dir is the direction the language is written in: "rtl" or "ltr".
func (l *Locale) Dir() string { return l.dir }

// T returns the text of id. An id no catalogue has comes back as itself, so a missing word shows (and the tests
// that look for ids in pages find it).
func (l *Locale) T(id string) string {
	if s, ok := l.plain[id]; ok {
		return s
	}
	return id
}

// F returns the text of id with its placeholders filled: pairs of a name and its value, as in
// F("comments.replying", "Name", name) for "Replying to {{.Name}}".
func (l *Locale) F(id string, pairs ...string) string {
	s := l.T(id)
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{{."+pairs[i]+"}}", pairs[i+1])
	}
	return s
}

// N returns the text of id in the plural form the language uses for n, with {{.Count}} written as the
// language writes numbers; more placeholders as in F. The form is picked by the CLDR rules of the catalogue's
// language (golang.org/x/text/feature/plural, the same rules go-i18n's localizer applies) and filled here,
// which costs a fraction of a template's execution.
func (l *Locale) N(id string, n int, pairs ...string) string {
	s := l.T(id)
	if l.plural[id] {
		forms := l.forms[id]
		s = forms[formNames[plural.Cardinal.MatchPlural(l.tag, abs(n), 0, 0, 0, 0)]]
		if s == "" {
			s = forms["other"]
		}
	}
	s = strings.ReplaceAll(s, "{{.Count}}", l.Num(n))
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{{."+pairs[i]+"}}", pairs[i+1])
	}
	return s
}

var formNames = map[plural.Form]string{plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few",
	plural.Many: "many", plural.Other: "other"}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Forms returns the plural forms of id as written (CLDR category to text, empty where the language has no such
// form), for the page script, which picks one with Intl.PluralRules.
func (l *Locale) Forms(id string) map[string]string {
	out := map[string]string{}
	for k, v := range l.forms[id] {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// Say returns a sentence the server wrote in English (a form's error, a refusal) in the language, when the
// catalogue has it among its "says" (found by the English text); any other comes back as it is.
func (l *Locale) Say(english string) string {
	if s, ok := l.says[english]; ok {
		return s
	}
	for _, s := range l.sayings {
		if m := s.english.FindStringSubmatch(english); m != nil {
			if s.plural != "" {
				n, _ := strconv.Atoi(m[1])
				return l.N(s.plural, n)
			}
			return strings.ReplaceAll(s.text, "{{.N}}", l.digits(m[1]))
		}
	}
	return english
}

// saying is a sentence with a number in it: its English shape, and its text in the language, or the id of its
// plural forms when the number is a count the words agree with.
type saying struct {
	english *regexp.Regexp
	text    string
	plural  string
}

// Num writes an integer as the language does (grouping, digits).
func (l *Locale) Num(n int) string {
	if n >= 0 && n < 1000 {
		return l.digits(strconv.Itoa(n)) // the common case: no groups
	}
	s := strconv.Itoa(abs(n))
	var b strings.Builder
	if n < 0 {
		b.WriteString(l.num.minus)
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(l.num.group)
		}
		b.WriteRune(l.num.zero + (r - '0'))
	}
	return b.String()
}

// Digits names the language's digits as Unicode locale extensions do ("latn", "arab"), for the page script.
func (l *Locale) Digits() string {
	switch l.num.zero {
	case '٠':
		return "arab"
	case '۰':
		return "arabext"
	}
	return "latn"
}

// digits writes the ASCII digits of s in the language's own (Arabic-Indic for Arabic), as its numbers are.
func (l *Locale) digits(s string) string {
	if l.num.zero == '0' {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return l.num.zero + (r - '0')
		}
		return r
	}, s)
}

// Date writes a day in full ("2 January 2006", "2006年1月2日").
func (l *Locale) Date(t time.Time) string { return l.dates.format(l.dates.long, t.UTC()) }

// ShortDate writes a day without its year ("2 Jan").
func (l *Locale) ShortDate(t time.Time) string { return l.dates.format(l.dates.short, t.UTC()) }

// Time writes a moment to the minute, in UTC ("2 Jan 2006, 15:04 UTC").
func (l *Locale) Time(t time.Time) string { return l.dates.format(l.dates.exact, t.UTC()) }

// dates are a language's patterns for days and moments, from its catalogue (golang.org/x/text has no CLDR date
// formatting): date.long, date.short and date.time with the placeholders {{.Day}}, {{.Month}} (the month's
// name), {{.Mon}} (its short name), {{.MonthNum}}, {{.Year}}, {{.Time}} (24-hour HH:MM) and the month names in
// date.months and date.months_short, separated by |.
type dates struct {
	long, short, exact string
	months, mons       []string
	num                func(int) string
	digits             func(string) string
}

func newDates(l *Locale) dates {
	d := dates{long: l.T("date.long"), short: l.T("date.short"), exact: l.T("date.time"),
		months: strings.Split(l.T("date.months"), "|"), mons: strings.Split(l.T("date.months_short"), "|"), num: l.Num, digits: l.digits}
	if len(d.months) != 12 {
		d.months = strings.Split("January|February|March|April|May|June|July|August|September|October|November|December", "|")
	}
	if len(d.mons) != 12 {
		d.mons = d.months
	}
	return d
}

func (d dates) format(pattern string, t time.Time) string {
	var b strings.Builder
	b.Grow(len(pattern) + 16)
	for {
		i := strings.Index(pattern, "{{.")
		if i < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		j := strings.Index(pattern[i:], "}}")
		if j < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:i])
		switch pattern[i+3 : i+j] {
		case "Day":
			b.WriteString(d.num(t.Day()))
		case "Month":
			b.WriteString(d.months[t.Month()-1])
		case "Mon":
			b.WriteString(d.mons[t.Month()-1])
		case "MonthNum":
			b.WriteString(d.num(int(t.Month())))
		case "Year":
			b.WriteString(d.digits(strconv.Itoa(t.Year())))
		case "Time":
			b.WriteString(d.digits(t.Format("15:04")))
		default:
			b.WriteString(pattern[i : i+j+2])
		}
		pattern = pattern[i+j+2:]
	}
}

type ctxKey struct{}

// With returns ctx carrying the locale pages rendered with it use.
func With(ctx context.Context, l *Locale) context.Context { return context.WithValue(ctx, ctxKey{}, l) }

// Carried reports whether ctx carries a locale.
func Carried(ctx context.Context) bool {
	_, ok := ctx.Value(ctxKey{}).(*Locale)
	return ok
}

// From returns the locale ctx carries, or English.
func From(ctx context.Context) *Locale {
	if ctx != nil {
		if l, ok := ctx.Value(ctxKey{}).(*Locale); ok {
			return l
		}
	}
	return Shipped().For(Default)
}
