package signin

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/gofiber/fiber/v2"

	"blog/csrf"
	"blog/owner"
	"blog/repo"
	"blog/repo/accounts"
	"blog/views"
)

// LoginPage shows the sign-in page: password, or passkey.
func (h *Handlers) LoginPage(c *fiber.Ctx) error {
	if _, ok, err := h.current(c); err == nil && ok {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	v, err := h.loginView(c, "")
	if err != nil {
		return err
	}
	return views.Render(c, fiber.StatusOK, views.LoginPage(h.cfg.Chrome.ForRequest(csrf.Token(c)), v))
}

func (h *Handlers) loginView(c *fiber.Ctx, msg string) (views.LoginView, error) {
	has, err := h.owner.HasCredentials(c.UserContext())
	if err != nil {
		return views.LoginView{}, err
	}
	return views.LoginView{Next: safeNext(c.Query("next", c.FormValue("next"))), Error: msg, NoOwner: !has,
		CSRFToken: csrf.Token(c)}, nil
}

// Login checks the password and opens a session.
func (h *Handlers) Login(c *fiber.Ctx) error {
	if err := h.throttle(c, true); err != nil {
		return err
	}
	ok, set, err := h.owner.PasswordMatches(c.UserContext(), c.FormValue("password"))
	if err != nil {
		return err
	}
	if !ok {
		h.failed(c, "password", "wrong password")
		v, err := h.loginView(c, "That password is not right.")
		if err != nil {
			return err
		}
		if !set {
			v.Error = "No password is set for this blog. Sign in with a passkey, or set one with `web owner password`."
		}
		return views.Render(c, fiber.StatusUnauthorized, views.LoginPage(h.cfg.Chrome.ForRequest(csrf.Token(c)), v))
	}
	if err := h.signIn(c, "password"); err != nil {
		return err
	}
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

// Logout ends the session.
func (h *Handlers) Logout(c *fiber.Ctx) error {
	if err := h.owner.EndSession(c.UserContext(), session(c)); err != nil {
		return err
	}
	c.ClearCookie(SessionCookie, HintCookie)
	if err := h.owner.RecordSignOut(c.UserContext()); err != nil {
		return err
	}
	return c.Redirect("/admin/login", fiber.StatusSeeOther)
}

// PasskeyLoginBegin starts a passkey sign-in: the browser gets the challenge and the owner's passkeys.
func (h *Handlers) PasskeyLoginBegin(c *fiber.Ctx) error {
	if err := h.throttle(c, false); err != nil {
		return err
	}
	rp, err := h.relyingParty(c)
	if err != nil {
		return err
	}
	stored, err := h.owner.Credentials(c.UserContext(), accounts.CredentialPasskey)
	if err != nil {
		return err
	}
	if len(stored) == 0 {
		return fiber.NewError(fiber.StatusConflict, "No passkey is registered for this blog yet. Sign in with the password.")
	}
	u, err := h.passkeys.Owner(stored)
	if err != nil {
		return err
	}
	assertion, data, err := rp.BeginLogin(u)
	if err != nil {
		return err
	}
	if err := h.beginCeremony(c, "login", data); err != nil {
		return err
	}
	return c.JSON(assertion)
}

// PasskeyLoginFinish checks the browser's signature and opens a session.
func (h *Handlers) PasskeyLoginFinish(c *fiber.Ctx) error {
	data, err := h.finishCeremony(c, "login")
	if errors.Is(err, owner.ErrCeremony) {
		h.failed(c, "passkey", "no ceremony, or one answered already")
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	if err != nil {
		return err
	}
	rp, err := h.relyingParty(c)
	if err != nil {
		return err
	}
	stored, err := h.owner.Credentials(c.UserContext(), accounts.CredentialPasskey)
	if err != nil {
		return err
	}
	u, err := h.passkeys.Owner(stored)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(bytes.NewReader(c.Body()))
	if err != nil {
		h.failed(c, "passkey", "unreadable answer")
		return fiber.NewError(fiber.StatusBadRequest, "The passkey's answer could not be read.")
	}
	cred, err := rp.ValidateLogin(u, data, parsed)
	if err != nil {
		h.failed(c, "passkey", "signature not accepted")
		return fiber.NewError(fiber.StatusUnauthorized, "That passkey was not accepted.")
	}
	// WebAuthn's signature counter: when the authenticator keeps one, each use must count higher than the last
	// one seen. One that does not is a copy of the passkey, or an old answer; the library only flags it.
	if cred.Authenticator.CloneWarning {
		h.failed(c, "passkey", "signature counter did not increase (a copied authenticator?)")
		return fiber.NewError(fiber.StatusUnauthorized, "That passkey was not accepted: its use counter went backwards, "+
			"as happens when a passkey has been copied. Sign in another way, and remove it if you do not know why.")
	}
	i := slices.IndexFunc(u.Creds, func(wc webauthn.Credential) bool { return bytes.Equal(wc.ID, cred.ID) })
	if i < 0 {
		return errors.New("owner: the library accepted a passkey that is not stored")
	}
	b, err := json.Marshal(cred) // keeps the authenticator's new signature counter
	if err != nil {
		return err
	}
	err = h.owner.UsedPasskey(c.UserContext(), u.IDs[i], stored[i].Secret, string(b))
	if errors.Is(err, repo.ErrConflict) {
		h.failed(c, "passkey", "passkey changed or removed during the sign-in")
		return fiber.NewError(fiber.StatusUnauthorized, "That passkey was used or changed at the same moment elsewhere. Please try again.")
	}
	if err != nil {
		return err
	}
	if err := h.signIn(c, "passkey"); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"redirect": safeNext(c.Query("next"))})
}

// setupToken reads the setup link's token and reports whether it is waiting to be used.
func (h *Handlers) setupToken(c *fiber.Ctx) (string, bool, error) {
	tok := strings.Clone(c.Query("token", c.FormValue("token")))
	ok, err := h.owner.ValidSetupToken(c.UserContext(), tok)
	return tok, ok, err
}

// SetupPage lets the holder of the setup link claim the blog with a password or a passkey.
func (h *Handlers) SetupPage(c *fiber.Ctx) error {
	tok, ok, err := h.setupToken(c)
	if err != nil {
		return err
	}
	v := views.SetupView{Token: tok, CSRFToken: csrf.Token(c)}
	status := fiber.StatusOK
	if !ok {
		has, err := h.owner.HasCredentials(c.UserContext())
		if err != nil {
			return err
		}
		v.Claimed, v.Invalid, status = has, !has, fiber.StatusNotFound
	}
	return views.Render(c, status, views.SetupPage(h.cfg.Chrome.ForRequest(csrf.Token(c)), v))
}

// Setup claims the blog with a password.
func (h *Handlers) Setup(c *fiber.Ctx) error {
	if err := h.throttle(c, false); err != nil {
		return err
	}
	tok, ok, err := h.setupToken(c)
	if err != nil {
		return err
	}
	if !ok {
		h.failed(c, "setup", "invalid setup token")
		return h.SetupPage(c)
	}
	pw, again := c.FormValue("password"), c.FormValue("password_again")
	msg := owner.CheckPassword(pw)
	if msg == "" && pw != again {
		msg = "The two passwords are not the same."
	}
	if msg != "" {
		v := views.SetupView{Token: tok, Error: msg, CSRFToken: csrf.Token(c)}
		return views.Render(c, fiber.StatusUnprocessableEntity, views.SetupPage(h.cfg.Chrome.ForRequest(csrf.Token(c)), v))
	}
	hash, err := owner.HashPassword(pw)
	if err != nil {
		return err
	}
	if _, err := h.owner.Claim(c.UserContext(), tok, accounts.Credential{Kind: accounts.CredentialPassword, Name: "password", Secret: hash}); err != nil {
		if errors.Is(err, repo.ErrNotFound) || errors.Is(err, accounts.ErrClaimed) {
			return h.SetupPage(c) // claimed meanwhile
		}
		return err
	}
	if err := h.signIn(c, "setup"); err != nil {
		return err
	}
	return c.Redirect("/admin/account?welcome=1", fiber.StatusSeeOther)
}

// SetupPasskeyBegin starts registering the first passkey with the setup link.
func (h *Handlers) SetupPasskeyBegin(c *fiber.Ctx) error {
	if err := h.throttle(c, false); err != nil {
		return err
	}
	tok, ok, err := h.setupToken(c)
	if err != nil {
		return err
	}
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "This setup link is not valid any more.")
	}
	return h.beginRegistration(c, owner.SetupCeremony(tok))
}

// SetupPasskeyFinish registers the first passkey and claims the blog with it.
func (h *Handlers) SetupPasskeyFinish(c *fiber.Ctx) error {
	tok, ok, err := h.setupToken(c)
	if err != nil {
		return err
	}
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "This setup link is not valid any more.")
	}
	cred, err := h.finishRegistration(c, owner.SetupCeremony(tok))
	if err != nil {
		return err
	}
	if _, err := h.owner.Claim(c.UserContext(), tok, cred); err != nil {
		if errors.Is(err, repo.ErrNotFound) || errors.Is(err, accounts.ErrClaimed) {
			return fiber.NewError(fiber.StatusNotFound, "This setup link is not valid any more: the blog was claimed meanwhile.")
		}
		return err
	}
	if err := h.signIn(c, "setup"); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"redirect": "/admin/account?welcome=1"})
}

func (h *Handlers) beginRegistration(c *fiber.Ctx, purpose string) error {
	rp, err := h.relyingParty(c)
	if err != nil {
		return err
	}
	stored, err := h.owner.Credentials(c.UserContext(), accounts.CredentialPasskey)
	if err != nil {
		return err
	}
	u, err := h.passkeys.Owner(stored)
	if err != nil {
		return err
	}
	creation, data, err := rp.BeginRegistration(u)
	if err != nil {
		return err
	}
	if err := h.beginCeremony(c, purpose, data); err != nil {
		return err
	}
	return c.JSON(creation)
}

func (h *Handlers) finishRegistration(c *fiber.Ctx, purpose string) (accounts.Credential, error) {
	data, err := h.finishCeremony(c, purpose)
	if errors.Is(err, owner.ErrCeremony) {
		return accounts.Credential{}, fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	if err != nil {
		return accounts.Credential{}, err
	}
	rp, err := h.relyingParty(c)
	if err != nil {
		return accounts.Credential{}, err
	}
	stored, err := h.owner.Credentials(c.UserContext(), accounts.CredentialPasskey)
	if err != nil {
		return accounts.Credential{}, err
	}
	u, err := h.passkeys.Owner(stored)
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
