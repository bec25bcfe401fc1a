package owner

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/gofiber/fiber/v2"

	"blog/clientip"
	"blog/csrf"
	"blog/repo"
	"blog/repo/accounts"
	"blog/views"
)

// LoginPage shows the sign-in page: password, or passkey.
func (o *Owner) LoginPage(c *fiber.Ctx) error {
	if _, ok, err := o.current(c); err == nil && ok {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	v, err := o.loginView(c, "")
	if err != nil {
		return err
	}
	return views.Render(c, fiber.StatusOK, views.LoginPage(o.cfg.Chrome.ForRequest(csrf.Token(c)), v))
}

func (o *Owner) loginView(c *fiber.Ctx, msg string) (views.LoginView, error) {
	has, err := o.cfg.Store.HasCredentials(c.UserContext())
	if err != nil {
		return views.LoginView{}, err
	}
	return views.LoginView{Next: safeNext(c.Query("next", c.FormValue("next"))), Error: msg, NoOwner: !has,
		CSRFToken: csrf.Token(c)}, nil
}

// throttle refuses a sign-in attempt over the limits with 429 (see gate). guess marks a password attempt.
func (o *Owner) throttle(c *fiber.Ctx, guess bool) error {
	addr := o.cfg.Clients.Of(c)
	ok, wait := o.gate.allow(attempt{client: clientip.Key(addr), device: o.device(c, o.gate.now()), guess: guess})
	if ok {
		return nil
	}
	o.cfg.Log.Warn("owner sign-in refused: too many attempts", "client", addr.String())
	secs := strconv.Itoa(int(wait.Seconds()) + 1)
	c.Set(fiber.HeaderRetryAfter, secs)
	return fiber.NewError(fiber.StatusTooManyRequests, "Too many sign-in attempts from here. Please wait "+secs+" seconds and try again.")
}

// failed answers a failed sign-in after a delay, and logs it without the secret.
func (o *Owner) failed(c *fiber.Ctx, method, why string) {
	o.cfg.Log.Warn("owner sign-in failed", "method", method, "reason", why, "client", o.cfg.Clients.Of(c).String())
	time.Sleep(o.cfg.FailureDelay) // guessing costs time even below the limits
}

// Login checks the password and opens a session.
func (o *Owner) Login(c *fiber.Ctx) error {
	if err := o.throttle(c, true); err != nil {
		return err
	}
	pw := c.FormValue("password")
	creds, err := o.cfg.Store.Credentials(c.UserContext(), accounts.CredentialPassword)
	if err != nil {
		return err
	}
	ok := false
	for _, cr := range creds {
		if match, err := VerifyPassword(pw, cr.Secret); err == nil && match {
			ok = true
			if err := o.cfg.Store.UsedCredential(c.UserContext(), cr.ID, ""); err != nil {
				return err
			}
		}
	}
	if !ok {
		o.failed(c, "password", "wrong password")
		v, err := o.loginView(c, "That password is not right.")
		if err != nil {
			return err
		}
		if len(creds) == 0 {
			v.Error = "No password is set for this blog. Sign in with a passkey, or set one with `web owner password`."
		}
		return views.Render(c, fiber.StatusUnauthorized, views.LoginPage(o.cfg.Chrome.ForRequest(csrf.Token(c)), v))
	}
	if err := o.signIn(c, "password"); err != nil {
		return err
	}
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

// Logout ends the session.
func (o *Owner) Logout(c *fiber.Ctx) error {
	s, _ := c.Locals(localsKey).(session)
	if err := o.cfg.Store.DeleteSession(c.UserContext(), s.TokenHash); err != nil {
		return err
	}
	c.ClearCookie(SessionCookie, HintCookie)
	if err := o.cfg.Audit.Record(c.UserContext(), repo.AuditEntry{Actor: repo.ActorOwner, Action: "sign-out"}); err != nil {
		return err
	}
	return c.Redirect("/admin/login", fiber.StatusSeeOther)
}

// PasskeyLoginBegin starts a passkey sign-in: the browser gets the challenge and the owner's passkeys.
func (o *Owner) PasskeyLoginBegin(c *fiber.Ctx) error {
	if err := o.throttle(c, false); err != nil {
		return err
	}
	rp, err := o.passkeys.relyingParty(c)
	if err != nil {
		return err
	}
	stored, err := o.cfg.Store.Credentials(c.UserContext(), accounts.CredentialPasskey)
	if err != nil {
		return err
	}
	if len(stored) == 0 {
		return fiber.NewError(fiber.StatusConflict, "No passkey is registered for this blog yet. Sign in with the password.")
	}
	u, err := o.passkeys.owner(stored)
	if err != nil {
		return err
	}
	assertion, data, err := rp.BeginLogin(u)
	if err != nil {
		return err
	}
	if err := o.passkeys.begin(c, "login", data, o.cfg.SecureCookies); err != nil {
		return err
	}
	return c.JSON(assertion)
}

// PasskeyLoginFinish checks the browser's signature and opens a session.
func (o *Owner) PasskeyLoginFinish(c *fiber.Ctx) error {
	data, err := o.passkeys.finish(c, "login")
	if errors.Is(err, errCeremony) {
		o.failed(c, "passkey", "no ceremony, or one answered already")
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	if err != nil {
		return err
	}
	rp, err := o.passkeys.relyingParty(c)
	if err != nil {
		return err
	}
	stored, err := o.cfg.Store.Credentials(c.UserContext(), accounts.CredentialPasskey)
	if err != nil {
		return err
	}
	u, err := o.passkeys.owner(stored)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(bytes.NewReader(c.Body()))
	if err != nil {
		o.failed(c, "passkey", "unreadable answer")
		return fiber.NewError(fiber.StatusBadRequest, "The passkey's answer could not be read.")
	}
	cred, err := rp.ValidateLogin(u, data, parsed)
	if err != nil {
		o.failed(c, "passkey", "signature not accepted")
		return fiber.NewError(fiber.StatusUnauthorized, "That passkey was not accepted.")
	}
	// WebAuthn's signature counter: when the authenticator keeps one, each use must count higher than the last
	// one seen. One that does not is a copy of the passkey, or an old answer; the library only flags it.
	if cred.Authenticator.CloneWarning {
		o.failed(c, "passkey", "signature counter did not increase (a copied authenticator?)")
		return fiber.NewError(fiber.StatusUnauthorized, "That passkey was not accepted: its use counter went backwards, "+
			"as happens when a passkey has been copied. Sign in another way, and remove it if you do not know why.")
	}
	i := slices.IndexFunc(u.creds, func(wc webauthn.Credential) bool { return bytes.Equal(wc.ID, cred.ID) })
	if i < 0 {
		return errors.New("owner: the library accepted a passkey that is not stored")
	}
	b, err := json.Marshal(cred) // keeps the authenticator's new signature counter
	if err != nil {
		return err
	}
	err = o.cfg.Store.UsedPasskey(c.UserContext(), u.ids[i], stored[i].Secret, string(b))
	if errors.Is(err, repo.ErrConflict) {
		o.failed(c, "passkey", "passkey changed or removed during the sign-in")
		return fiber.NewError(fiber.StatusUnauthorized, "That passkey was used or changed at the same moment elsewhere. Please try again.")
	}
	if err != nil {
		return err
	}
	if err := o.signIn(c, "passkey"); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"redirect": safeNext(c.Query("next"))})
}

// setupToken reads the setup link's token and reports whether it is waiting to be used.
func (o *Owner) setupToken(c *fiber.Ctx) (string, bool, error) {
	tok := strings.Clone(c.Query("token", c.FormValue("token")))
	if len(tok) != 43 {
		return tok, false, nil
	}
	ok, err := o.cfg.Store.ValidSetupToken(c.UserContext(), hashToken(tok))
	return tok, ok, err
}

// SetupPage lets the holder of the setup link claim the blog with a password or a passkey.
func (o *Owner) SetupPage(c *fiber.Ctx) error {
	tok, ok, err := o.setupToken(c)
	if err != nil {
		return err
	}
	v := views.SetupView{Token: tok, CSRFToken: csrf.Token(c)}
	status := fiber.StatusOK
	if !ok {
		has, err := o.cfg.Store.HasCredentials(c.UserContext())
		if err != nil {
			return err
		}
		v.Claimed, v.Invalid, status = has, !has, fiber.StatusNotFound
	}
	return views.Render(c, status, views.SetupPage(o.cfg.Chrome.ForRequest(csrf.Token(c)), v))
}

// Setup claims the blog with a password.
func (o *Owner) Setup(c *fiber.Ctx) error {
	if err := o.throttle(c, false); err != nil {
		return err
	}
	tok, ok, err := o.setupToken(c)
	if err != nil {
		return err
	}
	if !ok {
		o.failed(c, "setup", "invalid setup token")
		return o.SetupPage(c)
	}
	pw, again := c.FormValue("password"), c.FormValue("password_again")
	msg := CheckPassword(pw)
	if msg == "" && pw != again {
		msg = "The two passwords are not the same."
	}
	if msg != "" {
		v := views.SetupView{Token: tok, Error: msg, CSRFToken: csrf.Token(c)}
		return views.Render(c, fiber.StatusUnprocessableEntity, views.SetupPage(o.cfg.Chrome.ForRequest(csrf.Token(c)), v))
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	if _, err := o.cfg.Store.Claim(c.UserContext(), hashToken(tok), accounts.Credential{Kind: accounts.CredentialPassword, Name: "password", Secret: hash}); err != nil {
		if errors.Is(err, repo.ErrNotFound) || errors.Is(err, accounts.ErrClaimed) {
			return o.SetupPage(c) // claimed meanwhile
		}
		return err
	}
	if err := o.signIn(c, "setup"); err != nil {
		return err
	}
	return c.Redirect("/admin/account?welcome=1", fiber.StatusSeeOther)
}

// SetupPasskeyBegin starts registering the first passkey with the setup link.
func (o *Owner) SetupPasskeyBegin(c *fiber.Ctx) error {
	if err := o.throttle(c, false); err != nil {
		return err
	}
	tok, ok, err := o.setupToken(c)
	if err != nil {
		return err
	}
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "This setup link is not valid any more.")
	}
	return o.beginRegistration(c, "setup:"+hashToken(tok))
}

// SetupPasskeyFinish registers the first passkey and claims the blog with it.
func (o *Owner) SetupPasskeyFinish(c *fiber.Ctx) error {
	tok, ok, err := o.setupToken(c)
	if err != nil {
		return err
	}
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "This setup link is not valid any more.")
	}
	cred, err := o.finishRegistration(c, "setup:"+hashToken(tok))
	if err != nil {
		return err
	}
	if _, err := o.cfg.Store.Claim(c.UserContext(), hashToken(tok), cred); err != nil {
		if errors.Is(err, repo.ErrNotFound) || errors.Is(err, accounts.ErrClaimed) {
			return fiber.NewError(fiber.StatusNotFound, "This setup link is not valid any more: the blog was claimed meanwhile.")
		}
		return err
	}
	if err := o.signIn(c, "setup"); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"redirect": "/admin/account?welcome=1"})
}

func (o *Owner) beginRegistration(c *fiber.Ctx, purpose string) error {
	rp, err := o.passkeys.relyingParty(c)
	if err != nil {
		return err
	}
	stored, err := o.cfg.Store.Credentials(c.UserContext(), accounts.CredentialPasskey)
	if err != nil {
		return err
	}
	u, err := o.passkeys.owner(stored)
	if err != nil {
		return err
	}
	creation, data, err := rp.BeginRegistration(u)
	if err != nil {
		return err
	}
	if err := o.passkeys.begin(c, purpose, data, o.cfg.SecureCookies); err != nil {
		return err
	}
	return c.JSON(creation)
}

func (o *Owner) finishRegistration(c *fiber.Ctx, purpose string) (accounts.Credential, error) {
	data, err := o.passkeys.finish(c, purpose)
	if errors.Is(err, errCeremony) {
		return accounts.Credential{}, fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	if err != nil {
		return accounts.Credential{}, err
	}
	rp, err := o.passkeys.relyingParty(c)
	if err != nil {
		return accounts.Credential{}, err
	}
	stored, err := o.cfg.Store.Credentials(c.UserContext(), accounts.CredentialPasskey)
	if err != nil {
		return accounts.Credential{}, err
	}
	u, err := o.passkeys.owner(stored)
	if err != nil {
		return accounts.Credential{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(bytes.NewReader(c.Body()))
	if err != nil {
		return accounts.Credential{}, fiber.NewError(fiber.StatusBadRequest, "The passkey's answer could not be read.")
	}
	wc, err := rp.CreateCredential(u, data, parsed)
	if err != nil {
		return accounts.Credential{}, fiber.NewError(fiber.StatusBadRequest, "The passkey could not be registered.")
	}
	b, err := json.Marshal(wc)
	if err != nil {
		return accounts.Credential{}, err
	}
	name := strings.TrimSpace(c.Query("name"))
	if name == "" || len(name) > 60 {
		name = "passkey added " + time.Now().UTC().Format("2 Jan 2006")
	}
	return accounts.Credential{Kind: accounts.CredentialPasskey, Name: name, Secret: string(b)}, nil
}

// AccountPage lists the owner's credentials, with forms to set the password and add or remove passkeys.
func (o *Owner) AccountPage(c *fiber.Ctx) error {
	notice := accountNotice(c.Query("done"))
	if c.Query("welcome") != "" {
		creds, err := o.cfg.Store.Credentials(c.UserContext(), "")
		if err != nil {
			return err
		}
		notice = welcome(creds)
	}
	return o.renderAccount(c, fiber.StatusOK, notice, "")
}

// welcome greets the owner who just claimed the blog, naming the way they chose to sign in (the setup link is
// spent: that way is how they come back) and offering the other as a spare.
func welcome(creds []accounts.Credential) string {
	passkeys, password := 0, false
	for _, cr := range creds {
		switch cr.Kind {
		case accounts.CredentialPasskey:
			passkeys++
		case accounts.CredentialPassword:
			password = true
		}
	}
	switch {
	case passkeys > 0 && password:
		return "Welcome! This blog is yours now. You can sign in with your passkey or your password."
	case passkeys > 0:
		return "Welcome! This blog is yours now, and your passkey is how you sign in. " +
			"In case you lose this device, add a password or a passkey on another device below."
	case password:
		return "Welcome! This blog is yours now, and your password is how you sign in. " +
			"You can add a passkey below: your device's fingerprint, face or screen lock instead of typing it."
	}
	return "Welcome! This blog is yours now."
}

func accountNotice(done string) string {
	switch {
	case done == "password":
		return "Password saved."
	case done == "passkey":
		return "Passkey added."
	case done == "removed":
		return "Removed."
	}
	return ""
}

func (o *Owner) renderAccount(c *fiber.Ctx, status int, notice, msg string) error {
	creds, err := o.cfg.Store.Credentials(c.UserContext(), "")
	if err != nil {
		return err
	}
	v := views.AccountView{Notice: notice, Error: msg}
	for _, cr := range creds {
		v.Credentials = append(v.Credentials, views.CredentialView{ID: cr.ID, Kind: cr.Kind, Name: cr.Name,
			CreatedAt: cr.CreatedAt, UsedAt: cr.UsedAt})
	}
	return views.Render(c, status, views.AccountPage(o.Chrome(c), v))
}

// Chrome returns the layout's data for a signed-in page, with the session's form token.
func (o *Owner) Chrome(c *fiber.Ctx) views.Chrome {
	ch := o.cfg.Chrome.ForRequest(o.FormToken(c))
	ch.Owner = true
	return ch
}

// SetPasswordForm sets or replaces the password.
func (o *Owner) SetPasswordForm(c *fiber.Ctx) error {
	pw, again := c.FormValue("password"), c.FormValue("password_again")
	msg := CheckPassword(pw)
	if msg == "" && pw != again {
		msg = "The two passwords are not the same."
	}
	if msg != "" {
		return o.renderAccount(c, fiber.StatusUnprocessableEntity, "", msg)
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	// Whoever else is signed in (a browser left signed in elsewhere, someone who knew the old password) is not
	// any more.
	s, _ := c.Locals(localsKey).(session)
	if err := o.cfg.Store.ReplacePassword(c.UserContext(), hash, s.ID, repo.Action{Actor: repo.ActorOwner, Name: "set-password"}); err != nil {
		return err
	}
	return c.Redirect("/admin/account?done=password", fiber.StatusSeeOther)
}

// AddPasskeyBegin starts registering another passkey.
func (o *Owner) AddPasskeyBegin(c *fiber.Ctx) error { return o.beginRegistration(c, "add") }

// AddPasskeyFinish registers another passkey.
func (o *Owner) AddPasskeyFinish(c *fiber.Ctx) error {
	cred, err := o.finishRegistration(c, "add")
	if err != nil {
		return err
	}
	if _, err := o.cfg.Store.AddCredential(c.UserContext(), cred, repo.Action{Actor: repo.ActorOwner, Name: "add-passkey"}); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"redirect": "/admin/account?done=passkey"})
}

const lastCredential = "This is your only way to sign in, so it cannot be removed. Add another one first."

// RemoveCredential removes a password or passkey, unless it is the last one (the owner could not sign in), and
// ends every other session: a browser signed in by someone who held the removed passkey is signed out.
func (o *Owner) RemoveCredential(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fiber.ErrNotFound
	}
	creds, err := o.cfg.Store.Credentials(c.UserContext(), "")
	if err != nil {
		return err
	}
	if len(creds) <= 1 {
		return o.renderAccount(c, fiber.StatusConflict, "", lastCredential)
	}
	s, _ := c.Locals(localsKey).(session)
	err = o.cfg.Store.RemoveCredential(c.UserContext(), id, s.ID, repo.Action{Actor: repo.ActorOwner, Name: "remove-credential"})
	if errors.Is(err, accounts.ErrLastCredential) {
		return o.renderAccount(c, fiber.StatusConflict, "", lastCredential)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/account?done=removed", fiber.StatusSeeOther)
}

// loginURL is the sign-in page that returns to next.
func loginURL(next string) string { return "/admin/login?next=" + url.QueryEscape(safeNext(next)) }
