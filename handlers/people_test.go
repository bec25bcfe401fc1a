package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blog/database"
	"blog/handlers"
	"blog/internal/dbtest"
	"blog/notify"
	"blog/people"
	"blog/repo/outbox"
)

// withPeople serves the data pages (without mail: links cannot be asked for, the owner's page works).
func withPeople(db *database.DB) appOption {
	return func(c *handlers.Config) {
		c.Keys.Notify = notifyKey
		c.People = &people.Service{Moderation: c.Moderation.(people.Moderation), Mailboxes: outbox.NewNotifications(db),
			Key: []byte("people key people key")}
	}
}

// TestOwnerErasesACommenter: the owner looks an address up in the console, downloads what is held, and erases
// it (only with the box checked); without a session nothing is shown or changed; the public page without mail
// says to ask the owner and records nothing.
func TestOwnerErasesACommenter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAppOn(t, db, withPeople(db))
		a.newClient().comment(t, "Ann", "ann@example.com", "Ann's words go.")
		a.newClient().comment(t, "Ben", "ben@example.com", "Ben's words stay.")

		if resp, _ := a.newClient().get(t, "/admin/people?email=ann@example.com"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("without a session: %d", resp.StatusCode)
		}
		if resp, body := a.newClient().get(t, "/admin/people/export?email=ann@example.com"); resp.StatusCode != http.StatusSeeOther || strings.Contains(body, "Ann") {
			t.Fatalf("export without a session: %d", resp.StatusCode)
		}
		if resp, _ := a.newClient().post(t, "/admin/people/erase", url.Values{"email": {"ann@example.com"}, "confirm": {"1"}}, false); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("erase without a session: %d", resp.StatusCode)
		}
		o := a.owner(t)
		page := o.page(t, "/admin/people?email=Ann@Example.com")
		d := doc(t, page)
		if d.Find(`[data-testid="AdminPeoplePage"] [data-testid="HeldComments"]`).Text() == "" || !strings.Contains(page, "Ann&#39;s words go.") ||
			d.Find(`[data-testid="ExportLink"][href="/admin/people/export?email=ann%40example.com"]`).Length() != 1 {
			t.Fatalf("lookup page:\n%s", page)
		}
		resp, body := o.get(t, "/admin/people/export?email=ann@example.com")
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"text": "Ann's words go."`) {
			t.Fatalf("export: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		for _, tt := range []struct {
			name   string
			do     func() (*http.Response, string)
			status int
		}{
			{"lookup of a non-address", func() (*http.Response, string) { return o.get(t, "/admin/people?email=nope") }, http.StatusUnprocessableEntity},
			{"export of a non-address", func() (*http.Response, string) { return o.get(t, "/admin/people/export?email=nope") }, http.StatusUnprocessableEntity},
			{"erase without the box", func() (*http.Response, string) {
				return o.post(t, "/admin/people/erase", url.Values{"email": {"ann@example.com"}}, false)
			}, http.StatusUnprocessableEntity},
			{"erase of a non-address", func() (*http.Response, string) {
				return o.post(t, "/admin/people/erase", url.Values{"email": {"<b>"}, "confirm": {"1"}}, false)
			}, http.StatusUnprocessableEntity},
		} {
			if resp, _ := tt.do(); resp.StatusCode != tt.status {
				t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
			}
		}
		if !strings.Contains(a.page(t, "/posts/"+a.slug), "Ann&#39;s words go.") {
			t.Fatal("a refused erasure changed the page")
		}
		resp, _ = o.post(t, "/admin/people/erase", url.Values{"email": {"ann@example.com"}, "confirm": {"1"}}, false)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/people?erased=1" {
			t.Fatalf("erase: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if page := o.page(t, "/admin/people?erased=1"); !strings.Contains(page, "Erased: 1 comment ") {
			t.Fatal("no notice after the erasure")
		}
		a.settle(t)
		post := a.page(t, "/posts/"+a.slug)
		if strings.Contains(post, "Ann&#39;s words") || !strings.Contains(post, "Ben&#39;s words stay.") {
			t.Fatal("the post page still shows Ann's comment, or lost Ben's")
		}
		if audit := o.page(t, "/admin/audit"); strings.Contains(audit, "ann@example.com") || !strings.Contains(audit, "erase") {
			t.Fatal("the audit trail names the address, or does not record the erasure")
		}
		if page := o.page(t, "/admin/people?email=ann@example.com"); doc(t, page).Find(`[data-testid="HeldNothing"]`).Length() != 1 {
			t.Fatal("still held after the erasure")
		}

		// Without mail the public page cannot check an address: it says to ask the owner, and records nothing.
		c := a.newClient()
		if page := c.page(t, "/your-data"); !strings.Contains(page, "sends no email") {
			t.Fatal("the page offers a link without mail")
		}
		resp, _ = c.post(t, "/your-data", url.Values{"email": {"ben@example.com"}}, false)
		if n, _ := db.Repo().Count(t.Context(), "data_requests"); resp.StatusCode != 200 || n != 0 {
			t.Fatalf("request without mail: %d, %d recorded", resp.StatusCode, n)
		}
	})
}

// TestDataLinksAreSinglePurposeAndExpire: only a data link, unexpired and unchanged, opens the page, the
// download or the erasure; a confirmation or unsubscribe link for the same address opens nothing.
func TestDataLinksAreSinglePurposeAndExpire(t *testing.T) {
	db := dbtest.SQLite(t)
	a := newTestAppOn(t, db, withPeople(db))
	a.newClient().comment(t, "Ann", "ann@example.com", "Ann's words.")
	tokens := notify.Tokens{Key: notifyKey}
	now := time.Now()
	good := tokens.Make(notify.PurposeData, "ann@example.com", now.Add(time.Hour))
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"a data link", good, http.StatusOK},
		{"a confirmation link", tokens.Make(notify.PurposeConfirm, "ann@example.com", now.Add(time.Hour)), http.StatusBadRequest},
		{"an unsubscribe link", tokens.Make(notify.PurposeUnsubscribe, "ann@example.com", time.Time{}), http.StatusBadRequest},
		{"an expired data link", tokens.Make(notify.PurposeData, "ann@example.com", now.Add(-time.Minute)), http.StatusBadRequest},
		{"a data link that never expires", tokens.Make(notify.PurposeData, "ann@example.com", time.Time{}), http.StatusBadRequest},
		{"another key's", notify.Tokens{Key: []byte("another key another key")}.Make(notify.PurposeData, "ann@example.com", now.Add(time.Hour)), http.StatusBadRequest},
		{"cut", good[:len(good)-3], http.StatusBadRequest},
	} {
		for _, path := range []string{"/your-data/manage?t=", "/your-data/export?t="} {
			if resp, _ := a.get(t, path+url.QueryEscape(tt.token)); resp.StatusCode != tt.want {
				t.Errorf("%s at %s: %d, want %d", tt.name, path, resp.StatusCode, tt.want)
			}
		}
		if tt.want != http.StatusOK {
			c := a.newClient()
			c.get(t, "/your-data")
			if resp, _ := c.post(t, "/your-data/erase", url.Values{"t": {tt.token}, "confirm": {"1"}}, false); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s erases: %d", tt.name, resp.StatusCode)
			}
		}
	}
	if !strings.Contains(a.page(t, "/posts/"+a.slug), "Ann&#39;s words.") {
		t.Fatal("a refused link erased")
	}
}
