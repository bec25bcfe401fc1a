package i18n

import (
	"testing"
	"time"
)

// The costs of the lookups a rendering makes (pages are rendered once per change; live fragments per change).
func BenchmarkWord(b *testing.B) {
	l := Shipped().For("de")
	for b.Loop() {
		_ = l.T("comments.leave")
	}
}

func BenchmarkPlural(b *testing.B) {
	l := Shipped().For("ru")
	for b.Loop() {
		_ = l.N("comments.count", 21)
	}
}

func BenchmarkDate(b *testing.B) {
	l := Shipped().For("ar")
	at := time.Date(2026, 3, 7, 9, 5, 0, 0, time.UTC)
	for b.Loop() {
		_ = l.Time(at)
	}
}
