package owner

import (
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	hash, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(hash, "horse") {
		t.Fatalf("hash = %q; want OWASP's Argon2id parameters in PHC form", hash)
	}
	again, _ := HashPassword("correct horse battery staple")
	if again == hash {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		if ok, err := VerifyPassword(pw, hash); err != nil || ok != want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$a$b", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$aGFzaA"} {
		if ok, err := VerifyPassword("x", bad); ok || err == nil {
			t.Errorf("VerifyPassword against %q = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, ok := range map[string]bool{"short": false, strings.Repeat("é", 12): true, strings.Repeat("a", 257): false, "\xff\xfe" + strings.Repeat("a", 12): false} {
		if got := CheckPassword(pw) == ""; got != ok {
			t.Errorf("CheckPassword(%q...) accepted = %v, want %v", pw[:min(len(pw), 8)], got, ok)
		}
	}
}
