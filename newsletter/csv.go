package newsletter

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"blog/people"
	"blog/repo/subscribers"
)

// The subscriber CSV, in one place: the blog's export, and the imports it reads, which take the blog's own
// format and the exports of Substack (email, active_subscription, expiry, plan, email_disabled, created_at, …)
// and Buttondown (email or email_address, creation_date, subscriber_type or type, …) as they are. Columns are
// found by their header, in any order; unknown ones are ignored.

// exportHeader is the blog's own format.
var exportHeader = []string{"email", "status", "created_at", "confirmed_at", "unsubscribed_at", "source"}

// The states of a subscriber in the blog's format.
const (
	StatusConfirmed    = "confirmed"
	StatusWaiting      = "waiting"
	StatusUnsubscribed = "unsubscribed"
)

// Status names a subscriber's state.
func Status(s subscribers.Subscriber) string {
	switch {
	case s.UnsubscribedAt != nil:
		return StatusUnsubscribed
	case s.ConfirmedAt != nil:
		return StatusConfirmed
	}
	return StatusWaiting
}

// Counts returns how many subscribers are confirmed, waiting and unsubscribed.
func (s *Service) Counts(ctx context.Context) (subscribers.Counts, error) {
	return s.cfg.Store.Count(ctx)
}

// Export writes every subscriber as CSV (the blog's format, times in RFC 3339, UTC) and returns how many.
func (s *Service) Export(ctx context.Context, w io.Writer) (int, error) {
	subs, err := s.cfg.Store.List(ctx)
	if err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	cw.Write(exportHeader)
	for _, sub := range subs {
		cw.Write([]string{sub.Email, Status(sub), stamp(&sub.CreatedAt), stamp(sub.ConfirmedAt), stamp(sub.UnsubscribedAt), sub.Source})
	}
	cw.Flush()
	return len(subs), cw.Error()
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Bounds on an import: a file larger, or with more rows, is refused before anything is written.
const (
	MaxImportBytes = 64 << 20
	MaxImportRows  = 1_000_000
)

// ImportResult is what an import did.
type ImportResult struct {
	Read, Added, Changed int
	Confirmed, Waiting   int
	Unsubscribed         int
}

// ImportError is a file an import refused, with its problems (nothing was imported).
type ImportError struct{ Problems []string }

func problem(p string) *ImportError { return &ImportError{Problems: []string{p}} }

func (e *ImportError) Error() string {
	shown := e.Problems
	if len(shown) > 20 {
		shown = shown[:20]
	}
	more := ""
	if n := len(e.Problems) - len(shown); n > 0 {
		more = fmt.Sprintf("\n  … and %d more", n)
	}
	if len(e.Problems) == 1 {
		return e.Problems[0] + "; nothing imported"
	}
	return fmt.Sprintf("%d problems; nothing imported:\n  %s%s", len(e.Problems), strings.Join(shown, "\n  "), more)
}

// Import reads a subscriber CSV (the blog's, Substack's or Buttondown's export) and adds its subscribers, all or
// nothing: a row without a valid address refuses the whole file, naming each such row. A subscriber confirmed
// there is confirmed here (from the file's date, or now): they confirmed with the service the file comes from,
// and are not asked again; one unsubscribed there (Substack's email_disabled, Buttondown's unsubscribed,
// removed, complained or undeliverable) stays unsubscribed; one that never confirmed there (Buttondown's
// unactivated) is kept waiting and is sent nothing.
func (s *Service) Import(ctx context.Context, r io.Reader, source string) (ImportResult, error) {
	var res ImportResult
	cr := csv.NewReader(io.LimitReader(r, MaxImportBytes+1))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return res, problem(fmt.Sprintf("the header cannot be read: %v", err))
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		h = strings.ReplaceAll(h, " ", "_")
		if _, seen := col[h]; !seen {
			col[h] = i
		}
	}
	emailCol := first(col, "email", "email_address", "e-mail", "address")
	if emailCol < 0 {
		return res, problem("no email column in the header (want email or email_address)")
	}
	now := time.Now().UTC()
	var subs []subscribers.Subscriber
	var problems []string
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, problem(fmt.Sprintf("line %d: %v (a file larger than %d MB is cut there)", line, err, MaxImportBytes>>20))
		}
		if len(subs)+len(problems) >= MaxImportRows {
			return res, problem(fmt.Sprintf("more than %d rows", MaxImportRows))
		}
		get := func(names ...string) string {
			if i := first(col, names...); i >= 0 && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		raw := get("email", "email_address", "e-mail", "address")
		email, ok := people.ValidEmail(raw)
		if !ok {
			problems = append(problems, fmt.Sprintf("line %d: %q is not an email address", line, clip(raw, 80)))
			continue
		}
		created := parseTime(get("created_at", "creation_date", "created_date", "subscription_date", "subscribed_at", "date"))
		if created == nil {
			created = &now
		}
		sub := subscribers.Subscriber{Email: email, Source: source, CreatedAt: *created}
		switch state(get("status", "subscriber_type", "type"), get("email_disabled"), get("unsubscribed_at")) {
		case StatusConfirmed:
			at := parseTime(get("confirmed_at"))
			if at == nil {
				at = created
			}
			sub.ConfirmedAt = at
			res.Confirmed++
		case StatusUnsubscribed:
			at := parseTime(get("unsubscribed_at"))
			if at == nil {
				at = &now
			}
			sub.UnsubscribedAt = at
			res.Unsubscribed++
		default:
			res.Waiting++
		}
		subs = append(subs, sub)
	}
	res.Read = len(subs) + len(problems)
	if len(problems) > 0 {
		return res, &ImportError{Problems: problems}
	}
	res.Added, res.Changed, err = s.cfg.Store.Import(ctx, subs)
	return res, err
}

// state reads a row's state from the status column of whichever service wrote it.
func state(status, emailDisabled, unsubscribedAt string) string {
	switch strings.ToLower(status) {
	case StatusUnsubscribed, "removed", "complained", "undeliverable", "spammy", "bounced":
		return StatusUnsubscribed
	case StatusWaiting, "unactivated", "pending", "unconfirmed":
		return StatusWaiting
	}
	if b := strings.ToLower(emailDisabled); b == "true" || b == "yes" || b == "1" {
		return StatusUnsubscribed
	}
	if unsubscribedAt != "" {
		return StatusUnsubscribed
	}
	return StatusConfirmed
}

func first(col map[string]int, names ...string) int {
	for _, n := range names {
		if i, ok := col[n]; ok {
			return i
		}
	}
	return -1
}

// parseTime reads the dates the exports write (RFC 3339, with or without a zone, or a day); nil when empty or
// unreadable (then the import's time is used).
func parseTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02 15:04:05.999999-07:00",
		"2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			u := t.UTC()
			return &u
		}
	}
	return nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
