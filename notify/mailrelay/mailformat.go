package mailrelay

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"blog/notify"
)

// envelope is a message ready for the relay: the addresses of the SMTP transaction and the message itself.
type envelope struct {
	from, to string
	data     []byte
}

// encodeMail writes m as an RFC 5322 message with CRLF line ends: the plain text in quoted-printable and, when
// there is HTML, the two as a multipart/alternative, plain text first. Header values that are not plain ASCII,
// or hold a line break, are encoded (RFC 2047), so a subject or a name cannot start a header of its own.
func encodeMail(from string, m notify.Mail, messageID string, now time.Time) (envelope, error) {
	sender, err := mail.ParseAddress(from)
	if err != nil {
		return envelope{}, fmt.Errorf("MAIL_FROM: %w", err)
	}
	rcpt, err := mail.ParseAddress(m.To)
	if err != nil {
		return envelope{}, fmt.Errorf("recipient: %w", err)
	}
	// The addresses go into MAIL FROM:<...> and RCPT TO:<...> as they are: a quoted local part that holds a
	// bracket or a space would end the address there and add parameters to the command.
	for _, a := range []struct{ what, addr string }{{"MAIL_FROM", sender.Address}, {"recipient", rcpt.Address}} {
		if i := strings.IndexFunc(a.addr, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune(`<>"`, r) }); i >= 0 {
			return envelope{}, fmt.Errorf("%s: %q cannot be sent to: it holds %q", a.what, a.addr, a.addr[i])
		}
	}
	var b bytes.Buffer
	h := headers{w: &b}
	h.add("From", sender.String())
	h.add("To", rcpt.String())
	h.add("Subject", subject(m.Subject))
	h.add("Date", now.Format(time.RFC1123Z))
	h.add("Message-ID", "<"+messageID+">")
	h.add("MIME-Version", "1.0")
	h.add("Auto-Submitted", "auto-generated")
	if m.Unsubscribe != "" {
		h.add("List-Unsubscribe", "<"+m.Unsubscribe+">")
		h.add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	if h.err != nil {
		return envelope{}, h.err
	}
	if m.HTML == "" {
		h.add("Content-Type", "text/plain; charset=UTF-8")
		h.add("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		err = writeQP(&b, m.Text)
	} else {
		mw := multipart.NewWriter(&b)
		h.add("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
		b.WriteString("\r\n")
		err = writeAlternatives(mw, m.Text, m.HTML)
	}
	if err != nil {
		return envelope{}, err
	}
	return envelope{from: sender.Address, to: rcpt.Address, data: b.Bytes()}, nil
}

// writeAlternatives writes the plain text and the HTML as the parts of a multipart/alternative.
func writeAlternatives(mw *multipart.Writer, text, html string) error {
	for _, p := range []struct{ contentType, body string }{{"text/plain", text}, {"text/html", html}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.contentType + "; charset=UTF-8"},
			"Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return err
		}
		if err := writeQP(w, p.body); err != nil {
			return err
		}
	}
	return mw.Close()
}

// writeQP writes s in quoted-printable, its line breaks as CRLF.
func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, s); err != nil {
		return err
	}
	return qp.Close()
}

// headers writes header fields, folded at spaces to keep lines within 76 characters where the words allow: the
// bound RFC 2047 sets on a line with an encoded word (RFC 5322 asks for 78). A value with a line break is
// refused: it would end the field and start another.
type headers struct {
	w   *bytes.Buffer
	err error
}

func (h *headers) add(name, value string) {
	if strings.ContainsAny(value, "\r\n") {
		if h.err == nil {
			h.err = fmt.Errorf("mail header %s: line break in %q", name, value)
		}
		return
	}
	n := len(name) + 1
	h.w.WriteString(name + ":")
	for _, word := range strings.Split(value, " ") {
		// Even before the first word: an encoded word alone can be 75 characters. Never before an empty word
		// (two spaces in a row): a folded line may not be only white space.
		if word != "" && n+1+len(word) > 76 {
			h.w.WriteString("\r\n")
			n = 0
		}
		h.w.WriteString(" " + word)
		n += 1 + len(word)
	}
	h.w.WriteString("\r\n")
}

// subject encodes a subject (RFC 2047) when it is not plain ASCII, and also when, plain, it would not survive as
// it is: text that reads as an encoded word ("=?"), a word too long to fold, or spaces that folding would lose.
func subject(s string) string {
	plain := !strings.Contains(s, "=?") && !strings.Contains(s, "  ") && strings.TrimSpace(s) == s
	for _, w := range strings.Split(s, " ") {
		plain = plain && len(w) <= 60
	}
	if plain {
		return mime.QEncoding.Encode("UTF-8", s) // unchanged when ASCII
	}
	// Q-encoded words of at most 75 characters (RFC 2047), every byte but letters and digits written out.
	const prefix, suffix, maxWord = "=?UTF-8?q?", "?=", 75
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, prefix+cur.String()+suffix)
			cur.Reset()
		}
	}
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
			enc = string(r)
		default:
			for _, b := range []byte(string(r)) {
				enc += fmt.Sprintf("=%02X", b)
			}
		}
		if len(prefix)+cur.Len()+len(enc)+len(suffix) > maxWord {
			flush() // a character is never split across words
		}
		cur.WriteString(enc)
	}
	flush()
	return strings.Join(words, " ")
}
