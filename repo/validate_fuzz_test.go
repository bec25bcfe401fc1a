package repo_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"blog/repo"
)

// FuzzValidate checks that validation never panics and that whatever it accepts is safe to store: valid text
// within the limits, no control characters but newlines in the comment, a lower-case email, and a stable
// normal form.
func FuzzValidate(f *testing.F) {
	f.Add("Ann", "ann@example.com", "Hello")
	f.Add(" \u200b", "ANN@EXAMPLE.COM", "line\r\nline")
	f.Add("a\u202eb", "a\xff@b.co", "\x00")
	f.Add(strings.Repeat("😀", 64), strings.Repeat("a", 108)+"@example.com", strings.Repeat("e\u0301", 2500))
	f.Fuzz(func(t *testing.T, username, email, body string) {
		in := repo.CommentInput{Username: username, Email: email, Body: body}.Normalize()
		errs := in.Validate()
		if again := in.Normalize(); again != in {
			t.Fatalf("Normalize is not idempotent: %q -> %q", in, again)
		}
		if len(errs) > 0 {
			return
		}
		for name, s := range map[string]string{"username": in.Username, "email": in.Email, "body": in.Body} {
			if !utf8.ValidString(s) || s == "" {
				t.Fatalf("%s accepted but invalid or empty: %q", name, s)
			}
			for _, r := range s {
				if unicode.IsControl(r) && !(name == "body" && r == '\n') {
					t.Fatalf("%s accepted with control character %U", name, r)
				}
			}
		}
		if utf8.RuneCountInString(in.Username) > repo.MaxUsername || utf8.RuneCountInString(in.Email) > repo.MaxEmail ||
			utf8.RuneCountInString(in.Body) > repo.MaxBody {
			t.Fatalf("accepted over the limits: %d %d %d", len(in.Username), len(in.Email), len(in.Body))
		}
		if in.Email != strings.ToLower(in.Email) || !strings.Contains(in.Email, "@") {
			t.Fatalf("accepted email %q", in.Email)
		}
	})
}
