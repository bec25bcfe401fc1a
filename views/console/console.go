// Package console holds the pages of the owner's console, as handlers/console serves them: the comments with
// their filters, actions and the owner's replies, the bans, the audit trail, and the fediverse's followers and
// following.
package console

import (
	"net/url"
	"strconv"
	"time"

	"blog/repo"
)

// ConsoleFilter is what the console shows: every field may be empty.
type ConsoleFilter struct {
	State   string
	Post    string
	Text    string
	Email   string
	Address string
	// ID shows one comment only (the console link in a notification mail).
	ID string
}

// Query encodes the filter as a query string (without "?"), for links and return addresses. Every state,
// "all" included, is written out: the console without one opens on the comments waiting for review, when there
// are any.
func (f ConsoleFilter) Query() string {
	v := url.Values{}
	for k, s := range map[string]string{"state": f.StateParam(), "post": f.Post, "q": f.Text, "email": f.Email, "address": f.Address, "id": f.ID} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

// StateParam is the state as the console's address writes it: "all" for every state.
func (f ConsoleFilter) StateParam() string {
	if f.State == "" {
		return "all"
	}
	return f.State
}

// Active counts the filters besides the state (post, text, email, address).
func (f ConsoleFilter) Active() int {
	n := 0
	for _, s := range []string{f.Post, f.Text, f.Email, f.Address} {
		if s != "" {
			n++
		}
	}
	return n
}

// PostOption is a post in the console's post filter.
type PostOption struct {
	Slug, Title string
}

// ConsoleComment is one comment as the owner sees it.
type ConsoleComment struct {
	repo.Comment
	PostSlug, PostTitle string
	// Versions are its earlier texts, oldest first (its author edited it).
	Versions []repo.Version
}

// DraftView is a draft post in the console: the owner previews it at its future address.
type DraftView struct {
	Slug, Title string
	Date        time.Time
}

// ReplyDraft is the owner's reply to a comment that was not published, with why: its text is kept in the form.
type ReplyDraft struct {
	To    int64
	Body  string
	Error string
}

// ConsoleView is the console's state.
type ConsoleView struct {
	// ContentProblems are content files skipped because they could not be read ("posts/x.md: …").
	ContentProblems []string
	// Drafts are the posts not published yet (draft: true), newest first.
	Drafts []DraftView
	Filter ConsoleFilter
	// Waiting says that the console opened on the pending comments by itself (no state was asked for).
	Waiting bool
	// SelectAll ticks every comment shown (the "select all" link, for browsers without JavaScript).
	SelectAll bool
	// Author is the name the owner's replies are published under.
	Author string
	// Reply is a reply sent back with a problem; Replied the reply just published (for the notice's link).
	Reply    ReplyDraft
	Replied  *ConsoleComment
	Posts    []PostOption
	Counts   map[string]int
	Comments []ConsoleComment
	// Older, when positive, pages to the comments older than this id.
	Older  int64
	Before int64
	Notice string
	Error  string
}

// BansView is the bans page's state.
type BansView struct {
	Bans []repo.Ban
	// FromComment, when set, offers to ban the author of that comment.
	FromComment *ConsoleComment
	Kind, Value string
	Notice      string
	Error       string
}

// AuditView is the audit page's state.
type AuditView struct {
	Entries []repo.AuditEntry
	Older   int64
}

// ConsolePath is the console's URL for a filter and page.
func ConsolePath(f ConsoleFilter, before int64) string {
	q := f.Query()
	if before > 0 {
		if q != "" {
			q += "&"
		}
		q += "before=" + strconv.FormatInt(before, 10)
	}
	if q == "" {
		return "/admin"
	}
	return "/admin?" + q
}

// StateLabel names a comment state for people.
func StateLabel(state string) string {
	switch state {
	case repo.StatePublished:
		return "Published"
	case repo.StatePending:
		return "Pending"
	case repo.StateSpam:
		return "Spam"
	case repo.StateDeleted:
		return "Deleted"
	}
	return "All"
}

// BanKindLabel names a kind of ban for people.
func BanKindLabel(kind string) string {
	switch kind {
	case repo.BanEmail:
		return "Email"
	case repo.BanDomain:
		return "Email domain"
	case repo.BanIP:
		return "Address"
	case repo.BanNet:
		return "Network"
	}
	return kind
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// excerpt shortens a comment for the console's list.
func excerpt(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func itoa(n int) string { return strconv.Itoa(n) }

// followState says where the blog's Follow of an account stands.
func followState(state string) string {
	switch state {
	case "accepted":
		return "Following"
	case "rejected":
		return "Refused by their server"
	}
	return "Waiting for their server to accept"
}

// countWord is "1 like", "3 likes".
func countWord(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
