package views

import "time"

// YourDataView is the page where a commenter asks for a link to their data: the form (with the address typed
// and a message beside it), or the answer once sent, which is the same whatever the address.
type YourDataView struct {
	Email string
	Error string
	Sent  bool
	// CanMail is false when the blog sends no mail: the page says to ask the owner instead.
	CanMail bool
}

// HeldView is what the blog holds about one address, as the data pages show it.
type HeldView struct {
	Email    string
	Name     string
	Comments []HeldComment
	Versions int
	// Subscription is the address's choice about email about replies: "" (none on record), "stopped" (no
	// email at all), "confirmed" or "asked" (not confirmed yet); SubscribedAt is when it stopped or was confirmed.
	Subscription string
	SubscribedAt time.Time
	Messages     int
	Nothing      bool
	ExportHref   string
	EraseAction  string
}

// HeldComment is one comment in the list of what is held.
type HeldComment struct {
	ID      int64
	Post    string
	State   string
	Excerpt string
	At      time.Time
}

// ManageView is the page a mailed link opens: what is held, its download and its erasure (Token carries the
// signed link to the buttons), or, after an erasure, what was removed.
type ManageView struct {
	Held   HeldView
	Token  string
	Erased bool
	// ErasedComments and ErasedMessages are what an erasure removed.
	ErasedComments, ErasedMessages int
	Error                          string
}

// PeopleView is the owner's page for one commenter's data: an address to look up, then what is held, its
// download and its erasure.
type PeopleView struct {
	Query  string
	Held   *HeldView
	Notice string
	Error  string
}
