package views

import (
	"strings"
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "just now"}, {10 * time.Second, "just now"}, {50 * time.Second, "1 minute ago"},
		{5 * time.Minute, "5 minutes ago"}, {90 * time.Minute, "1 hour ago"}, {5 * time.Hour, "5 hours ago"},
		{36 * time.Hour, "1 day ago"}, {10 * 24 * time.Hour, "10 days ago"}, {70 * 24 * time.Hour, "2 months ago"},
		{800 * 24 * time.Hour, "2 years ago"},
	}
	for _, tt := range tests {
		if got := Ago(now.Add(-tt.d), now); got != tt.want {
			t.Errorf("Ago(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestAvatarIsDrawnFromItsSeed(t *testing.T) {
	c1, p1 := avatar("0123456789abcdef0123456789abcdef")
	c2, p2 := avatar("fedcba9876543210fedcba9876543210")
	if c1 == c2 && p1 == p2 {
		t.Fatal("two seeds draw the same avatar")
	}
	if !strings.HasPrefix(p1, "M") {
		t.Fatalf("path = %q", p1)
	}
	if c, p := avatar(""); p != "" || c != "transparent" {
		t.Fatalf("no seed drew %q %q, want a blank picture", c, p)
	}
}
