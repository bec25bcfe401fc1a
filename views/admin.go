package views

import (
	"strconv"
	"time"
)

// LoginView is the sign-in page's state.
type LoginView struct {
	Next  string
	Error string
	// NoOwner is set while the blog has no owner credential: only the setup link helps then.
	NoOwner   bool
	CSRFToken string
}

// SetupView is the setup page's state.
type SetupView struct {
	Token string
	Error string
	// Invalid: the link is wrong or used; Claimed: the blog has an owner already.
	Invalid, Claimed bool
	CSRFToken        string
}

// CredentialView is one way the owner signs in.
type CredentialView struct {
	ID        int64
	Kind      string
	Name      string
	CreatedAt time.Time
	UsedAt    *time.Time
}

// AccountView is the account page's state.
type AccountView struct {
	Credentials []CredentialView
	Notice      string
	Error       string
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func optionalTime(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return ExactTime(*t)
}

func itoa(n int) string { return strconv.Itoa(n) }
