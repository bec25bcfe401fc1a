package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"blog/handlers/signin"
	"blog/internal/passkeytest"
	"blog/repo/accounts"
)

// Passkey sign-in through the real router: answers accepted once, signature counters that must increase.

// passkeyPost sends a passkey ceremony's request as the sign-in script does: JSON, with the page's token.
func (c *client) passkeyPost(t testing.TB, path string, body []byte) (*http.Response, string) {
	t.Helper()
	if body == nil {
		body = []byte("{}")
	}
	req, _ := http.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.token)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(t, req)
}

// addPasskey registers key for the signed-in owner o through the account page's ceremony.
func addPasskey(t testing.TB, o *client, key *passkeytest.Authenticator) {
	t.Helper()
	o.page(t, "/admin/account")
	resp, opts := o.passkeyPost(t, "/admin/account/passkey/begin", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("passkey registration begin: %d %s", resp.StatusCode, opts)
	}
	answer, err := key.Register([]byte(opts))
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := o.passkeyPost(t, "/admin/account/passkey/finish?name=test", answer); resp.StatusCode != http.StatusOK {
		t.Fatalf("passkey registration finish: %d %s", resp.StatusCode, body)
	}
}

// passkeyAttempt is one passkey sign-in as sent: the ceremony's cookies and the answer, so a test can send it
// again.
type passkeyAttempt struct {
	cookies map[string]string
	token   string
	answer  []byte
}

// beginPasskey starts a passkey sign-in in a new browser and answers it with key, without sending the answer.
func (a *testApp) beginPasskey(t testing.TB, key *passkeytest.Authenticator) passkeyAttempt {
	t.Helper()
	b := a.newClient()
	b.page(t, "/admin/login")
	resp, opts := b.passkeyPost(t, "/admin/login/passkey/begin", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("passkey sign-in begin: %d %s", resp.StatusCode, opts)
	}
	answer, err := key.Assert([]byte(opts))
	if err != nil {
		t.Fatal(err)
	}
	cookies := map[string]string{}
	for k, v := range b.cookies {
		cookies[k] = v
	}
	return passkeyAttempt{cookies: cookies, token: b.token, answer: answer}
}

// send sends the attempt's answer from a browser holding its cookies, and reports the status and whether a
// session was opened.
func (a *testApp) send(t testing.TB, p passkeyAttempt, answer []byte) (int, string, bool) {
	t.Helper()
	b := a.newClient()
	for k, v := range p.cookies {
		b.cookies[k] = v
	}
	b.token = p.token
	resp, body := b.passkeyPost(t, "/admin/login/passkey/finish", answer)
	return resp.StatusCode, body, b.cookies[signin.SessionCookie] != ""
}

// storedSignCount reads the signature counter stored with the owner's one passkey.
func (a *testApp) storedSignCount(t testing.TB) uint32 {
	t.Helper()
	creds, err := accounts.NewOwner(a.db).Credentials(context.Background(), accounts.CredentialPasskey)
	if err != nil || len(creds) != 1 {
		t.Fatalf("passkeys: %v, %v", creds, err)
	}
	var wc struct {
		Authenticator struct {
			SignCount uint32 `json:"signCount"`
		} `json:"authenticator"`
	}
	if err := json.Unmarshal([]byte(creds[0].Secret), &wc); err != nil {
		t.Fatal(err)
	}
	return wc.Authenticator.SignCount
}

// TestPasskeyAnswerIsAcceptedOnce: a captured answer to a sign-in, sent again with its ceremony cookie, opens no
// session, even from a passkey that keeps no counter (only the challenge being used up stops it then).
func TestPasskeyAnswerIsAcceptedOnce(t *testing.T) {
	a := newTestApp(t)
	key := passkeytest.New("http://blog.test")
	addPasskey(t, a.owner(t), key)
	p := a.beginPasskey(t, key)
	if st, body, signedIn := a.send(t, p, p.answer); st != http.StatusOK || !signedIn {
		t.Fatalf("passkey sign-in: %d %s, session %v", st, body, signedIn)
	}
	st, body, signedIn := a.send(t, p, p.answer)
	if st != http.StatusBadRequest || signedIn || !strings.Contains(body, "try again") {
		t.Fatalf("the same answer again: %d %s, session %v; want 400 and no session", st, body, signedIn)
	}
}

// TestPasskeyChallengeIsUsedUpByAFailedAnswer: a wrong answer uses up the challenge too, so the right answer to
// it, sent afterwards, is refused.
func TestPasskeyChallengeIsUsedUpByAFailedAnswer(t *testing.T) {
	a := newTestApp(t)
	key := passkeytest.New("http://blog.test")
	addPasskey(t, a.owner(t), key)
	first, other := a.beginPasskey(t, key), a.beginPasskey(t, key)
	// The first ceremony's cookie with an answer to another challenge: the signature does not fit.
	if st, body, signedIn := a.send(t, first, other.answer); st != http.StatusUnauthorized || signedIn {
		t.Fatalf("an answer to another challenge: %d %s; want 401", st, body)
	}
	if st, body, signedIn := a.send(t, first, first.answer); st != http.StatusBadRequest || signedIn {
		t.Fatalf("the right answer after a wrong one: %d %s, session %v; want 400", st, body, signedIn)
	}
	if st, _, signedIn := a.send(t, other, other.answer); st != http.StatusOK || !signedIn {
		t.Fatalf("the other ceremony: %d; want 200", st)
	}
}

// TestPasskeyCounterMustIncrease: a passkey that keeps a signature counter must report a higher one each time
// (WebAuthn §7.2 step 21); an equal or lower one (a copied authenticator, an old answer) is refused and the
// stored counter keeps the highest seen. A passkey that keeps none (always 0) signs in every time.
func TestPasskeyCounterMustIncrease(t *testing.T) {
	a := newTestApp(t)
	key := passkeytest.New("http://blog.test")
	key.SignCount = 5
	addPasskey(t, a.owner(t), key)
	for _, step := range []struct {
		count   uint32
		want    int
		stored  uint32
		message string
	}{
		{6, http.StatusOK, 6, ""},
		{6, http.StatusUnauthorized, 6, "counter went backwards"},
		{2, http.StatusUnauthorized, 6, "counter went backwards"},
		{9, http.StatusOK, 9, ""},
	} {
		key.SignCount = step.count
		p := a.beginPasskey(t, key)
		st, body, signedIn := a.send(t, p, p.answer)
		if st != step.want || signedIn != (step.want == http.StatusOK) || !strings.Contains(body, step.message) {
			t.Fatalf("counter %d: %d %s, session %v; want %d", step.count, st, body, signedIn, step.want)
		}
		if got := a.storedSignCount(t); got != step.stored {
			t.Fatalf("after counter %d: stored %d, want %d", step.count, got, step.stored)
		}
	}

	b := newTestApp(t)
	zero := passkeytest.New("http://blog.test")
	addPasskey(t, b.owner(t), zero)
	for i := range 3 {
		p := b.beginPasskey(t, zero)
		if st, body, _ := b.send(t, p, p.answer); st != http.StatusOK {
			t.Fatalf("sign-in %d with a passkey that keeps no counter: %d %s", i+1, st, body)
		}
	}
}
