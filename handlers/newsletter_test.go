package handlers_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"blog/database"
	"blog/handlers"
	"blog/internal/dbtest"
	"blog/newsletter"
	"blog/notify"
	"blog/repo/outbox"
	"blog/repo/subscribers"
)

// withNewsletter serves posts by email, with mail configured.
func withNewsletter(db *database.DB) appOption {
	return func(c *handlers.Config) {
		c.Chrome.Newsletter = true
		c.Newsletter = newsletter.New(newsletter.Config{Store: subscribers.New(db), Site: c.Content.(newsletter.Site), Mail: true,
			Tokens: notify.Tokens{Key: []byte("newsletter test key")}, SiteTitle: "Test Blog", BaseURL: "http://blog.test"})
	}
}

// TestSubscribeForm: the box answers every address alike and bounds a client; bad input gets its message and
// changes nothing; a cross-site post is refused; links that were changed are refused with a sentence.
func TestSubscribeForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db, withNewsletter(db))
		c := a.newClient()
		if page := c.page(t, "/"); doc(t, page).Find(`[data-testid="SubscribeBox"] form[action="/newsletter"] label[for="subscribe-email"]`).Length() != 1 {
			t.Fatal("no subscribe box on the home page")
		}
		queued := func() int {
			ms, _ := outbox.NewNotifications(db).Messages(t.Context())
			return len(ms)
		}
		for _, tt := range []struct {
			name, email string
			status      int
			text        string
			queued      int
		}{
			{"empty", "", 422, "Please enter an email address", 0},
			{"not an address", "<script>@", 422, "Please enter an email address", 0},
			{"too long", strings.Repeat("a", 300) + "@example.com", 422, "Please enter an email address", 0},
			{"an address", "ann@example.com", 200, "a link is on its way there", 1},
			{"the same mailbox again", "Ann+blog@example.com", 200, "a link is on its way there", 1},
			{"another", "ben@example.com", 200, "a link is on its way there", 2},
			{"third", "cy@example.com", 200, "a link is on its way there", 3},
			{"fourth", "di@example.com", 200, "a link is on its way there", 4},
			{"over the client's bound", "ed@example.com", 429, "Too many subscriptions", 4},
		} {
			resp, body := c.post(t, "/newsletter", url.Values{"email": {tt.email}}, false)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.text) || queued() != tt.queued {
				t.Fatalf("%s: %d, %d queued, want %d with %q and %d queued", tt.name, resp.StatusCode, queued(), tt.status, tt.text, tt.queued)
			}
		}
		req := httpReq(http.MethodPost, "/newsletter", url.Values{"email": {"x@example.com"}})
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if resp, _ := a.do(t, req); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site: %d", resp.StatusCode)
		}
		for _, path := range []string{"/newsletter/confirm?t=abc", "/newsletter/unsubscribe?t=abc.0.x", "/newsletter/confirm"} {
			if resp, body := c.get(t, path); resp.StatusCode != 400 || !strings.Contains(body, "This link is not valid") {
				t.Fatalf("%s: %d", path, resp.StatusCode)
			}
		}
	})
}

// TestOwnerSubscribersPage: the console counts subscribers, exports them as CSV and imports a file (a bad one
// refused with its reason, changing nothing); without a session it shows nothing.
func TestOwnerSubscribersPage(t *testing.T) {
	db := dbtest.SQLite(t)
	a := newTestAppOn(t, db, withNewsletter(db))
	if resp, _ := a.newClient().get(t, "/admin/subscribers/export"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("export without a session: %d", resp.StatusCode)
	}
	o := a.owner(t)
	upload := func(name, text string) (*http.Response, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.WriteField("_csrf", o.token)
		f, _ := w.CreateFormFile("file", name)
		f.Write([]byte(text))
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, "/admin/subscribers/import", &b)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return o.do(t, req)
	}
	o.page(t, "/admin/subscribers")
	resp, body := upload("substack.csv", "email,active_subscription,expiry,plan,email_disabled,created_at\n"+
		"ann@example.com,false,,,false,2025-03-01T10:15:00.000Z\nben@example.com,false,,,true,2025-03-02T10:15:00.000Z\n")
	if resp.StatusCode != 200 || !strings.Contains(body, "Imported: 2 read (1 confirmed, 0 waiting, 1 unsubscribed), 2 added") {
		t.Fatalf("import: %d\n%s", resp.StatusCode, body)
	}
	if n := doc(t, body).Find(`[data-testid="ConfirmedCount"]`).Text(); n != "1" {
		t.Fatalf("confirmed count %q", n)
	}
	resp, body = upload("bad.csv", "email\nnew@example.com\n<b>bold</b>\n")
	if resp.StatusCode != 422 || !strings.Contains(body, "line 3: &#34;&lt;b&gt;bold&lt;/b&gt;&#34; is not an email address; nothing imported") {
		t.Fatalf("bad import: %d\n%s", resp.StatusCode, body)
	}
	resp, body = o.get(t, "/admin/subscribers/export")
	want := "email,status,created_at,confirmed_at,unsubscribed_at,source\nann@example.com,confirmed,2025-03-01T10:15:00Z,2025-03-01T10:15:00Z,,import\n" +
		"ben@example.com,unsubscribed,2025-03-02T10:15:00Z,,20"
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(body, want) {
		t.Fatalf("export: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
