package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"blog/internal/passkeytest"
	"blog/repo/accounts"
)

// TestCredentialChangesEndOtherSessions: setting the password or removing a passkey from the console ends every
// session but the one that did it.
func TestCredentialChangesEndOtherSessions(t *testing.T) {
	a := newTestApp(t)
	console := a.owner(t)
	signIn := func(pw string) *client {
		t.Helper()
		c := a.newClient()
		c.page(t, "/admin/login")
		if resp, _ := c.post(t, "/admin/login", url.Values{"password": {pw}}, false); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", resp.StatusCode)
		}
		return c
	}
	signedIn := func(c *client) bool {
		t.Helper()
		resp, _ := c.get(t, "/admin")
		return resp.StatusCode == http.StatusOK
	}

	laptop := signIn(testPassword)
	console.page(t, "/admin/account")
	const newPassword = "another long and proper password"
	resp, _ := console.post(t, "/admin/account/password", url.Values{"password": {newPassword}, "password_again": {newPassword}}, false)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set password: %d", resp.StatusCode)
	}
	if signedIn(laptop) {
		t.Fatal("another session is still signed in after the password changed")
	}
	if !signedIn(console) {
		t.Fatal("the session that changed the password was signed out")
	}

	addPasskey(t, console, passkeytest.New("http://blog.test"))
	phone := signIn(newPassword)
	creds, _ := accounts.NewOwner(a.db).Credentials(context.Background(), accounts.CredentialPasskey)
	console.page(t, "/admin/account")
	if resp, _ := console.post(t, "/admin/account/credentials/"+strconvItoa(creds[0].ID)+"/delete", nil, false); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove passkey: %d", resp.StatusCode)
	}
	if signedIn(phone) {
		t.Fatal("another session is still signed in after a passkey was removed")
	}
	if !signedIn(console) {
		t.Fatal("the session that removed the passkey was signed out")
	}
}
