package views

import "context"

// NewsletterView is a page of posts by email: the subscribe form (with the address typed and its error), the
// answer to it, or the page a mailed link opens (asking first, then saying it is done).
type NewsletterView struct {
	// State is one of "form", "asked", "confirm", "confirmed", "unsubscribe", "unsubscribed", "off".
	State string
	Email string
	Error string
	// Token is the signed link's token, sent back by the page's button.
	Token string
}

func newsletterTitle(ctx context.Context, v NewsletterView) string {
	switch v.State {
	case "confirm", "confirmed", "unsubscribe", "unsubscribed", "asked":
		return t(ctx, "newsletter.title_"+v.State)
	}
	return t(ctx, "newsletter.box")
}

// AdminSubscribersView is the owner's page of posts by email: the counts, and what an import did or why it
// was refused.
type AdminSubscribersView struct {
	Confirmed, Waiting, Unsubscribed int
	// Mail says whether mail is configured (readers can subscribe).
	Mail          bool
	Notice, Error string
}
