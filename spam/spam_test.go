package spam

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRules(t *testing.T) {
	r := Rules{Stamps: true, MinAge: 3 * time.Second, MaxLinks: 2, Words: ParseWords(" Casino, cheap pills ,")}
	ok := Submission{Name: "Ann", Body: "Nice post.", FormAge: time.Minute, FormValid: true}
	tests := []struct {
		name string
		mod  func(*Submission)
		kind string
	}{
		{"ordinary", func(*Submission) {}, ""},
		{"no timestamp", func(s *Submission) { s.FormValid = false }, "no_timestamp"},
		{"too fast", func(s *Submission) { s.FormAge = time.Second }, "too_fast"},
		{"two links", func(s *Submission) { s.Body = "see https://a.example and www.b.example" }, ""},
		{"three links", func(s *Submission) { s.Body = "https://a.example http://b.example www.c.example" }, "links"},
		{"listed word, any case", func(s *Submission) { s.Body = "Best CASINO here" }, "words"},
		{"listed phrase", func(s *Submission) { s.Body = "buy cheap pills now" }, "words"},
		{"listed word in the name", func(s *Submission) { s.Name = "casino" }, "words"},
		{"a word that only contains a listed one", func(s *Submission) { s.Body = "casinos and occasion" }, ""},
	}
	for _, tt := range tests {
		s := ok
		tt.mod(&s)
		v := r.Check(s)
		if v.Kind != tt.kind || v.Hold != (tt.kind != "") || (v.Hold && !strings.HasPrefix(v.Reason, "held: ")) {
			t.Errorf("%s: %+v, want kind %q", tt.name, v, tt.kind)
		}
	}
	if v := (Rules{}).Check(Submission{Body: "https://a https://b https://c casino"}); v.Hold {
		t.Errorf("the zero Rules held a comment: %+v", v)
	}
}

func TestStamps(t *testing.T) {
	s := NewStamper([]byte("key key key key key"))
	now := time.Unix(1_800_000_000, 0)
	stamp := s.Stamp(now)
	if age, ok := s.Age(stamp, now.Add(90*time.Second)); !ok || age != 90*time.Second {
		t.Fatalf("age %v, %v", age, ok)
	}
	for _, bad := range []string{"", "x", stamp + "x", "abc." + strings.Split(stamp, ".")[1], NewStamper([]byte("other")).Stamp(now)} {
		if _, ok := s.Age(bad, now); ok {
			t.Errorf("stamp %q accepted", bad)
		}
	}
}

// FuzzStampAge checks that reading any form timestamp never panics and accepts only stamps this key made.
func FuzzStampAge(f *testing.F) {
	s := NewStamper([]byte("fuzz key fuzz key"))
	f.Add(s.Stamp(time.Unix(1_800_000_000, 0)))
	f.Add("")
	f.Add("zzzzzzzzzzzzzzzz.AAAA")
	f.Add("-1.x")
	f.Fuzz(func(t *testing.T, stamp string) {
		_, ok := s.Age(stamp, time.Now())
		if ok && s.Stamp(time.Unix(mustSecs(t, stamp), 0)) != stamp {
			t.Fatalf("accepted a stamp this key did not make: %q", stamp)
		}
		_ = (Rules{Stamps: true, MaxLinks: 2, Words: []string{"x"}}).Check(Submission{Name: stamp, Body: stamp})
	})
}

func mustSecs(t *testing.T, stamp string) int64 {
	n, err := strconv.ParseInt(strings.SplitN(stamp, ".", 2)[0], 36, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
