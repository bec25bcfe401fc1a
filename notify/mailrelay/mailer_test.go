package mailrelay_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"blog/internal/mailtest"
	"blog/notify"
	"blog/notify/mailrelay"
)

// send sends m through the relay at url, trusting relay's certificate, and returns the message it received.
func send(t *testing.T, relay *mailtest.Server, url, from string, m notify.Mail) (mailtest.Message, error) {
	t.Helper()
	s, err := mailrelay.ParseSMTPURL(url)
	if err != nil {
		t.Fatal(err)
	}
	s.TrustRoots(relay.RootCAs)
	if err := s.Send(context.Background(), from, m, "outbox-7-1@blog.example"); err != nil {
		return mailtest.Message{}, err
	}
	return relay.Wait(1, 5*time.Second)[0], nil
}

// A message read by a real SMTP server parses with net/mail and mime/multipart into the headers the blog set
// and two parts, plain text first; every line ends in CRLF and a line starting with a dot survives.
func TestSMTPMessageParses(t *testing.T) {
	relay := mailtest.Start(t)
	text := "Hello Ada,\n\n.a line that starts with a dot\n" + strings.Repeat("long ", 40) + "line\n— the blog\n"
	html := "<p>Hello Ada,</p>\n<p>" + strings.Repeat("long ", 40) + "line</p>\n"
	got, err := send(t, relay, relay.URL(), "Field Notes <blog@example.com>", notify.Mail{To: "ada@example.com",
		Subject: "New reply on “Hello, world”", Text: text, HTML: html, Unsubscribe: "https://blog.example/unsubscribe?t=abc"})
	if err != nil {
		t.Fatal(err)
	}
	if got.From != "blog@example.com" || len(got.To) != 1 || got.To[0] != "ada@example.com" {
		t.Errorf("envelope from %q to %q, want blog@example.com to ada@example.com", got.From, got.To)
	}
	if i := bytes.Index(bytes.ReplaceAll(got.Raw, []byte("\r\n"), nil), []byte("\n")); i >= 0 {
		t.Errorf("a line ends in a bare LF near %q", got.Raw[max(i-20, 0):])
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got.Raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "New reply on “Hello, world”" {
		t.Errorf("Subject %q (%v), want the one sent", subject, err)
	}
	for name, want := range map[string]string{
		"From":                  `"Field Notes" <blog@example.com>`,
		"To":                    "<ada@example.com>",
		"Message-Id":            "<outbox-7-1@blog.example>",
		"Mime-Version":          "1.0",
		"Auto-Submitted":        "auto-generated",
		"List-Unsubscribe":      "<https://blog.example/unsubscribe?t=abc>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	} {
		if got := msg.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if date, err := msg.Header.Date(); err != nil || time.Since(date).Abs() > time.Minute {
		t.Errorf("Date %q: %v, %v; want now", msg.Header.Get("Date"), date, err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for i, want := range []struct{ contentType, body string }{{"text/plain; charset=UTF-8", text}, {"text/html; charset=UTF-8", html}} {
		p, err := r.NextRawPart()
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if ct, cte := p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"); ct != want.contentType || cte != "quoted-printable" {
			t.Errorf("part %d: %s in %s, want %s in quoted-printable", i+1, ct, cte, want.contentType)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != want.body {
			t.Errorf("part %d:\n%q\nwant\n%q", i+1, got, want.body)
		}
	}
	if _, err := r.NextRawPart(); err != io.EOF {
		t.Errorf("after two parts: %v, want the end", err)
	}
}

// Without HTML the message is one text/plain part, and without an unsubscribe address it has no
// List-Unsubscribe headers.
func TestSMTPPlainMessage(t *testing.T) {
	relay := mailtest.Start(t)
	got, err := send(t, relay, relay.URL(), "blog@example.com", notify.Mail{To: "ada@example.com", Subject: "Confirm", Text: "Please confirm.\n"})
	if err != nil {
		t.Fatal(err)
	}
	if ct := got.Header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type %q, want text/plain; charset=UTF-8", ct)
	}
	if cte := got.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding %q, want quoted-printable", cte)
	}
	if got.Text != "Please confirm.\r\n" || got.HTML != "" {
		t.Errorf("text %q, HTML %q; want the text alone", got.Text, got.HTML)
	}
	for _, name := range []string{"List-Unsubscribe", "List-Unsubscribe-Post"} {
		if v, ok := got.Header[name]; ok {
			t.Errorf("%s: %q, want none", name, v)
		}
	}
}

// A subject and a sender's name in any script arrive as they were written, with every header line in ASCII
// and within 76 characters (RFC 2047).
func TestSMTPNonASCIIRoundTrips(t *testing.T) {
	relay := mailtest.Start(t)
	subject := "Nouvelle réponse à « Carnets de terrain » — 新しい返信があります: " + strings.Repeat("très long ", 8)
	got, err := send(t, relay, relay.URL(), "Zoë Ångström <blog@example.com>", notify.Mail{To: "Ada Lovelace <ada@example.com>",
		Subject: subject, Text: "Ça marche.\n"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject() != subject {
		t.Errorf("Subject %q, want %q", got.Subject(), subject)
	}
	from, err := got.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Zoë Ångström" || from[0].Address != "blog@example.com" {
		t.Errorf("From %q: %v, %v; want Zoë Ångström <blog@example.com>", got.Header.Get("From"), from, err)
	}
	to, err := got.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Ada Lovelace" || to[0].Address != "ada@example.com" {
		t.Errorf("To %q: %v, %v; want Ada Lovelace <ada@example.com>", got.Header.Get("To"), to, err)
	}
	if got.Text != "Ça marche.\r\n" {
		t.Errorf("text %q", got.Text)
	}
	head, _, _ := bytes.Cut(got.Raw, []byte("\r\n\r\n"))
	for line := range strings.SplitSeq(string(head), "\r\n") {
		if len(line) > 76 {
			t.Errorf("header line of %d characters: %q", len(line), line)
		}
		for _, r := range line {
			if r > 127 {
				t.Errorf("header line not in ASCII: %q", line)
				break
			}
		}
	}
}

// Subjects that plain ASCII would not carry as they are: text that reads as an encoded word, a word too long
// to fold, runs of spaces and spaces at the ends. Each arrives as written, on lines within RFC 5322's bounds
// and none of them only white space.
func TestSMTPAwkwardSubjectsArriveAsWritten(t *testing.T) {
	relay := mailtest.Start(t)
	for _, subject := range []string{"Costs =?UTF-8?q?nothing?= at all", strings.Repeat("x", 1200), "Two  spaces   and more" + strings.Repeat(" ", 100) + "end",
		" leading and trailing ", "A plain subject of many ordinary words that will have to be folded over more than one line to fit"} {
		s, err := mailrelay.ParseSMTPURL(relay.URL())
		if err != nil {
			t.Fatal(err)
		}
		n := len(relay.Messages())
		if err := s.Send(context.Background(), "blog@example.com", notify.Mail{To: "ada@example.com", Subject: subject, Text: "The text.\n"}, "outbox-1-1@blog.example"); err != nil {
			t.Fatal(err)
		}
		got := relay.Wait(n+1, 5*time.Second)[n]
		if got.Subject() != subject {
			t.Errorf("subject %.40q arrived as %.40q", subject, got.Subject())
		}
		head, _, _ := bytes.Cut(got.Raw, []byte("\r\n\r\n"))
		for _, line := range strings.Split(string(head), "\r\n") {
			if len(line) > 78 || strings.TrimSpace(line) == "" {
				t.Errorf("subject %.40q: header line %q (%d characters)", subject, line, len(line))
			}
		}
	}
}

// A line break in a subject is encoded, never a header of its own; in an address or an unsubscribe link it is
// refused before anything is sent.
func TestSMTPLineBreaksCannotAddHeaders(t *testing.T) {
	relay := mailtest.Start(t)
	for _, subject := range []string{"Hello\r\nBcc: eve@example.com", "Hello\nBcc: eve@example.com", "Hello\rBcc: eve@example.com",
		"Hello\r\n\r\nA body of my own"} {
		s, err := mailrelay.ParseSMTPURL(relay.URL())
		if err != nil {
			t.Fatal(err)
		}
		n := len(relay.Messages())
		if err := s.Send(context.Background(), "blog@example.com", notify.Mail{To: "ada@example.com", Subject: subject, Text: "The text.\n"}, "outbox-1-1@blog.example"); err != nil {
			t.Fatal(err)
		}
		got := relay.Wait(n+1, 5*time.Second)[n]
		if _, ok := got.Header["Bcc"]; ok || len(got.To) != 1 {
			t.Errorf("subject %q added a recipient: header %q, envelope %q", subject, got.Header, got.To)
		}
		if got.Subject() != subject || got.Text != "The text.\r\n" {
			t.Errorf("subject %q arrived as %q with text %q", subject, got.Subject(), got.Text)
		}
	}
	tests := []struct {
		name, from string
		m          notify.Mail
		wantErr    string
	}{
		{"sender's name", "\"Field\r\nBcc: eve@example.com\" <blog@example.com>", notify.Mail{To: "ada@example.com"}, "MAIL_FROM: "},
		{"recipient", "blog@example.com", notify.Mail{To: "ada@example.com\r\nBcc: eve@example.com"}, "recipient: "},
		{"recipient's name", "blog@example.com", notify.Mail{To: "Ada\r\nBcc: eve@example.com <ada@example.com>"}, "recipient: "},
		{"unsubscribe link", "blog@example.com", notify.Mail{To: "ada@example.com", Unsubscribe: "https://blog.example/u\r\nBcc: eve@example.com"}, "line break"},
		// A quoted local part may hold what would end RCPT TO:<...> and add parameters to the command.
		{"recipient with a bracket", "blog@example.com", notify.Mail{To: `"a> NOTIFY=NEVER"@example.org`}, "recipient: "},
		{"sender with a space", `"blog bot"@example.com`, notify.Mail{To: "ada@example.com"}, "MAIL_FROM: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := mailrelay.ParseSMTPURL(relay.URL())
			if err != nil {
				t.Fatal(err)
			}
			n := len(relay.Messages())
			err = s.Send(context.Background(), tt.from, tt.m, "outbox-1-1@blog.example")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err %v, want one saying %q", err, tt.wantErr)
			}
			if len(relay.Messages()) != n {
				t.Error("the message was sent")
			}
		})
	}
}

// A password goes only over TLS: STARTTLS (or smtps) first, then the best mechanism both sides speak. A relay
// that offers no STARTTLS gets no password, whatever AUTH it offers, and a certificate that does not verify
// stops the exchange.
func TestSMTPAuthentication(t *testing.T) {
	tests := []struct {
		name      string
		opts      mailtest.Options
		userinfo  string
		untrusted bool
		wantAuth  string // the mechanism used, or
		wantErr   string // what the error says
	}{
		{"PLAIN over STARTTLS", mailtest.Options{TLS: true, Auth: []string{"LOGIN", "PLAIN"}}, "ada:secret@", false, "PLAIN", ""},
		{"LOGIN when alone", mailtest.Options{TLS: true, Auth: []string{"LOGIN"}}, "ada:secret@", false, "LOGIN", ""},
		{"CRAM-MD5 first", mailtest.Options{TLS: true, Auth: []string{"PLAIN", "LOGIN", "CRAM-MD5"}}, "ada:secret@", false, "CRAM-MD5", ""},
		{"smtps", mailtest.Options{ImplicitTLS: true, Auth: []string{"PLAIN"}}, "ada:secret@", false, "PLAIN", ""},
		{"no password, STARTTLS used when offered", mailtest.Options{TLS: true}, "", false, "", ""},
		{"wrong password", mailtest.Options{TLS: true, Auth: []string{"PLAIN"}}, "ada:wrong@", false, "", "AUTH: "},
		{"no AUTH we speak", mailtest.Options{TLS: true, Auth: []string{"XOAUTH2"}}, "ada:secret@", false, "", "none of CRAM-MD5, PLAIN, LOGIN"},
		{"password without STARTTLS", mailtest.Options{Auth: []string{"PLAIN", "LOGIN"}}, "ada:secret@", false, "", "no STARTTLS"},
		{"certificate not trusted", mailtest.Options{TLS: true, Auth: []string{"PLAIN"}}, "ada:secret@", true, "", "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.User, tt.opts.Password = "ada", "secret"
			relay := mailtest.StartWith(t, tt.opts)
			url := strings.Replace(relay.URL(), "://", "://"+tt.userinfo, 1)
			s, err := mailrelay.ParseSMTPURL(url)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.untrusted {
				s.TrustRoots(relay.RootCAs)
			}
			err = s.Send(context.Background(), "blog@example.com", notify.Mail{To: "ada@example.com", Subject: "Hi", Text: "Hi.\n"}, "outbox-1-1@blog.example")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one saying %q", err, tt.wantErr)
				}
				if n := len(relay.Messages()); n != 0 {
					t.Errorf("%d message(s) sent", n)
				}
				if tt.wantErr == "no STARTTLS" || tt.untrusted {
					if a := relay.Auths(); len(a) != 0 {
						t.Errorf("AUTH %v began without TLS", a)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := relay.Wait(1, 5*time.Second)[0]
			if !got.TLS || got.Auth != tt.wantAuth {
				t.Errorf("sent with TLS %v, AUTH %q; want TLS, AUTH %q", got.TLS, got.Auth, tt.wantAuth)
			}
		})
	}
}

// A relay that accepts the connection and never answers is given up on when the bound passes, saying so, and
// at once when the caller cancels.
func TestSMTPTimeoutAndCancel(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // silent: no greeting
		}
	}()
	s, err := mailrelay.ParseSMTPURL("smtp://" + l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	m := notify.Mail{To: "ada@example.com", Subject: "Hi", Text: "Hi.\n"}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, "blog@example.com", m, "outbox-1-1@blog.example")
	if err == nil || !strings.HasPrefix(err.Error(), "relay 127.0.0.1: timed out: ") {
		t.Errorf("err %v, want relay 127.0.0.1: timed out: …", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("gave up after %v, want about 300ms", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	err = s.Send(ctx, "blog@example.com", m, "outbox-1-1@blog.example")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("gave up after %v, want about 200ms", d)
	}
}
