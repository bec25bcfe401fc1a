package views

import (
	"strings"
	"testing"
)

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
