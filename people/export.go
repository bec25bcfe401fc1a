package people

import (
	"encoding/json"
	"time"
)

// Export is the download of everything held about an address: what the JSON file holds, field for field.
type Export struct {
	Email      string     `json:"email"`
	ExportedAt time.Time  `json:"exported_at"`
	Commenter  *Person    `json:"commenter"`
	Comments   []Comment  `json:"comments"`
	Mail       MailExport `json:"mail"`
	NotHeld    string     `json:"not_held"`
}

// Person is the commenter's row.
type Person struct {
	Name  string    `json:"latest_name"`
	Since time.Time `json:"first_comment_at"`
}

// Comment is one comment in the export, in whatever state it is.
type Comment struct {
	ID          int64      `json:"id"`
	Post        string     `json:"post"`
	State       string     `json:"state"`
	Reason      string     `json:"reason,omitempty"`
	Name        string     `json:"name"`
	Text        string     `json:"text"`
	Format      string     `json:"format"`
	PostedAt    time.Time  `json:"posted_at"`
	EditedAt    *time.Time `json:"edited_at,omitempty"`
	ReplyTo     *int64     `json:"reply_to,omitempty"`
	MailReplies bool       `json:"mail_on_replies"`
	// AddressHash and NetworkHash are the keyed hashes of the address and network it was posted from: the
	// address itself was never stored.
	AddressHash string    `json:"address_hash,omitempty"`
	NetworkHash string    `json:"network_hash,omitempty"`
	Versions    []Version `json:"earlier_versions,omitempty"`
}

// Version is an earlier text of an edited comment.
type Version struct {
	Text       string    `json:"text"`
	Format     string    `json:"format"`
	ReplacedAt time.Time `json:"replaced_at"`
}

// MailExport is the mail subscriptions and the messages written to the mailbox.
type MailExport struct {
	Subscription *Subscription `json:"reply_notifications"`
	// Posts is the subscription to new posts by email.
	Posts    *Subscription `json:"new_posts"`
	Messages []Message     `json:"messages"`
}

// Subscription is the mailbox's choice about reply notifications.
type Subscription struct {
	Since          time.Time  `json:"since"`
	ConfirmedAt    *time.Time `json:"confirmed_at,omitempty"`
	UnsubscribedAt *time.Time `json:"unsubscribed_at,omitempty"`
}

// Message is one mail written to the mailbox.
type Message struct {
	Topic     string     `json:"topic"`
	WrittenAt time.Time  `json:"written_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

// notHeld says what the blog never stores, so the file answers that question too.
const notHeld = "Never stored: the address you posted from (only keyed hashes of it and of its network, above), " +
	"your browser's details, cookies beyond the signed list of your own comments kept in your browser."

// Export returns the download of what is held.
func (h Held) Export() Export {
	out := Export{Email: h.Email, ExportedAt: time.Now().UTC().Truncate(time.Second), Comments: []Comment{},
		Mail: MailExport{Messages: []Message{}}, NotHeld: notHeld}
	if u := h.Commenter.User; u != nil {
		out.Commenter = &Person{Name: u.Username, Since: u.CreatedAt.UTC()}
	}
	for _, c := range h.Commenter.Comments {
		e := Comment{ID: c.ID, Post: c.Post.Slug, State: c.State, Reason: c.Reason, Name: c.Username, Text: c.Body,
			Format: c.Format, PostedAt: c.CreatedAt.UTC(), EditedAt: when(c.EditedAt), ReplyTo: c.ParentID,
			MailReplies: c.Notify, AddressHash: c.IPHash, NetworkHash: c.NetHash}
		for _, v := range h.Commenter.Versions[c.ID] {
			e.Versions = append(e.Versions, Version{Text: v.Body, Format: v.Format, ReplacedAt: v.ReplacedAt.UTC()})
		}
		out.Comments = append(out.Comments, e)
	}
	if s := h.Mail.Subscriber; s != nil {
		out.Mail.Subscription = &Subscription{Since: s.CreatedAt.UTC(), ConfirmedAt: when(s.ConfirmedAt), UnsubscribedAt: when(s.UnsubscribedAt)}
	}
	if s := h.Posts; s != nil {
		out.Mail.Posts = &Subscription{Since: s.CreatedAt.UTC(), ConfirmedAt: when(s.ConfirmedAt), UnsubscribedAt: when(s.UnsubscribedAt)}
	}
	for _, m := range h.Mail.Messages {
		out.Mail.Messages = append(out.Mail.Messages, Message{Topic: m.Topic, WrittenAt: m.CreatedAt.UTC(), SentAt: when(m.SentAt)})
	}
	return out
}

// JSON returns the export as indented JSON.
func (e Export) JSON() []byte {
	b, _ := json.MarshalIndent(e, "", "  ")
	return append(b, '\n')
}
