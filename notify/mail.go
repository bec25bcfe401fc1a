package notify

import "context"

// Mail is one message as the outbox stores it.
type Mail struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
	// Unsubscribe, when set, is the one-click unsubscribe address (List-Unsubscribe, RFC 8058).
	Unsubscribe string `json:"unsubscribe,omitempty"`
	// Shared, when set, names a body many messages share (a post's mail to every subscriber), which
	// Config.Expand fills in before sending, so the outbox holds it once rather than once per recipient.
	Shared string `json:"shared,omitempty"`
	// Lang is the language a reader's mail is written in ("" for the owner's, which are English): several mails
	// gathered into one are introduced in it.
	Lang string `json:"lang,omitempty"`
}

// Mailer sends a message; messageID identifies it (the same message sent again keeps its id).
type Mailer interface {
	Send(ctx context.Context, from string, m Mail, messageID string) error
}
