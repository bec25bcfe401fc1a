package comments

import (
	"testing"
	"time"

	"blog/spam"
)

// TestFormStampNeverHoldsSomeoneWhoWaited checks, for page loads at every moment of a step, that a comment posted
// SPAM_MIN_SECONDS after the page loaded is seen as at least that old (never held by the rule), and one posted at
// once as younger than a second (always held by it).
func TestFormStampNeverHoldsSomeoneWhoWaited(t *testing.T) {
	h := &Handlers{cfg: Config{Stamps: spam.NewStamper([]byte("a key of sixteen or more bytes"))}}
	rule := spam.Rules{Stamps: true, MinAge: 3 * time.Second}
	base := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for offset := time.Duration(0); offset < 5*time.Second; offset += 37 * time.Millisecond {
		loaded := base.Add(offset)
		stamp := h.FormStamp(loaded)
		age, ok := h.cfg.Stamps.Age(stamp, loaded.Add(rule.MinAge))
		if !ok || rule.Check(spam.Submission{FormAge: age, FormValid: ok}).Hold {
			t.Fatalf("loaded at +%v, posted %v later: seen as %v old, held", offset, rule.MinAge, age)
		}
		if age, _ := h.cfg.Stamps.Age(stamp, loaded); age >= time.Second ||
			!rule.Check(spam.Submission{FormAge: age, FormValid: true}).Hold {
			t.Fatalf("loaded at +%v and posted at once: seen as %v old, not held", offset, age)
		}
	}
}
