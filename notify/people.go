package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"time"
)

// PurposeData is the purpose of a link to a commenter's data page (download, erase): worthless as a
// confirmation or an unsubscribe link, and they are worthless for it.
const PurposeData = "data"

// DataLinkFor is how long a link to a commenter's data page works.
const DataLinkFor = 24 * time.Hour

// DataPath is the page a data link opens, with its token.
func DataPath(token string) string { return "/your-data/manage?t=" + url.QueryEscape(token) }

// MailDataLink writes to the outbox a mail to an address with a signed link to the page of what the blog holds
// about it (valid for DataLinkFor), and wakes the worker. It goes out under the mailbox's hourly bound like any
// mail, and also to a mailbox that unsubscribed (its owner asked for it).
func (s *Service) MailDataLink(ctx context.Context, email string) error {
	if s.cfg.Mailer == nil || !deliverable(email) {
		return nil // no relay, or an address that cannot receive mail (an imported placeholder, the erased row)
	}
	link := s.url(DataPath(s.cfg.Tokens.Make(PurposeData, email, time.Now().Add(DataLinkFor))))
	w := s.words(post{})
	m := composeIn(w, email, s.subject(w.T("mail.data_subject")), "", []block{
		{Text: w.F("mail.data_intro", "Site", s.cfg.SiteTitle)},
		{Link: link, Label: w.T("mail.data_link")},
		{Text: w.T("mail.data_not_you")},
	})
	b := make([]byte, 8)
	rand.Read(b)
	msg := mailMessage("data", "data:"+hex.EncodeToString(b), 0, m)
	if err := s.cfg.Store.Enqueue(ctx, msg); err != nil {
		return err
	}
	s.Wake()
	return nil
}
