package following

import (
	"strings"
	"testing"
)

func TestParseHandleBoundsItsParts(t *testing.T) {
	for in, want := range map[string]bool{
		"@ann@example.social":                         true,
		"ann@blog.example:8443":                       true,
		"@" + strings.Repeat("a", 100) + "@x.example": true,
		"@" + strings.Repeat("a", 101) + "@x.example": false,
		"@ann@" + strings.Repeat("h", 253):            true,
		"@ann@" + strings.Repeat("h", 254):            false,
		"@ann@example.social:12345":                   true,
		"@ann@example.social:123456":                  false,
		"@ann@exa mple.social":                        false,
		"https://example.social/users/ann":            false,
		"@@example.social":                            false,
	} {
		if got := parseHandle(in) != nil; got != want {
			t.Errorf("parseHandle(%.40q) = %v, want %v", in, got, want)
		}
	}
	if m := parseHandle("@ann@example.social:8443"); m == nil || m[1] != "ann" || m[2] != "example.social:8443" {
		t.Errorf("parts: %q", m)
	}
}
