package views

import (
	"context"
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

func TestAvatarIsStableAndCaseInsensitive(t *testing.T) {
	ctx := WithAvatarKey(context.Background(), []byte("site key"))
	c1, p1 := avatar(ctx, "Ann@Example.com")
	c2, p2 := avatar(ctx, "ann@example.com")
	c3, p3 := avatar(ctx, "bob@example.com")
	c4, p4 := avatar(WithAvatarKey(context.Background(), []byte("another site")), "ann@example.com")
	if c1 == c4 && p1 == p4 {
		t.Fatal("two sites draw the same avatar for one email: the key is not used")
	}
	if c1 != c2 || p1 != p2 {
		t.Fatal("avatar differs by letter case")
	}
	if c1 == c3 && p1 == p3 {
		t.Fatal("two emails draw the same avatar")
	}
	if !strings.HasPrefix(p1, "M") || strings.Contains(p1, "example") {
		t.Fatalf("path = %q", p1)
	}
}
