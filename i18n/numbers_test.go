package i18n

import (
	"testing"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// TestNumbersAsCLDRWritesThem compares the blog's numbers with golang.org/x/text's CLDR printer in every shipped
// language, over numbers with every count of digits, negative ones too; a catalogue added without its format
// fails here.
func TestNumbersAsCLDRWritesThem(t *testing.T) {
	c := Shipped()
	for _, lang := range shipped {
		if _, ok := numberFormats[lang]; !ok {
			t.Errorf("%s: no number format", lang)
			continue
		}
		l := c.For(lang)
		p := message.NewPrinter(language.MustParse(lang))
		for _, n := range []int{0, 7, 42, 999, 1000, 1001, 9999, 12345, 100000, 999999, 1234567, 12345678, 1000000000, -5, -1000, -1234567} {
			if got, want := l.Num(n), p.Sprint(number.Decimal(n)); got != want {
				t.Errorf("%s: Num(%d) = %q, CLDR writes %q", lang, n, got, want)
			}
		}
	}
}
