package signin

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"blog/handlers/web"
	"blog/owner"
	"blog/repo/accounts"
	"blog/views"
)

// AccountPage lists the owner's credentials, with forms to set the password and add or remove passkeys.
func (h *Handlers) AccountPage(c *fiber.Ctx) error {
	notice := accountNotice(c.Query("done"))
	if c.Query("welcome") != "" {
		creds, err := h.owner.Credentials(c.UserContext(), "")
		if err != nil {
			return err
		}
		notice = welcome(creds)
	}
	return h.renderAccount(c, fiber.StatusOK, notice, "")
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

func (h *Handlers) renderAccount(c *fiber.Ctx, status int, notice, msg string) error {
	creds, err := h.owner.Credentials(c.UserContext(), "")
	if err != nil {
		return err
	}
	v := views.AccountView{Notice: notice, Error: msg}
	for _, cr := range creds {
		v.Credentials = append(v.Credentials, views.CredentialView{ID: cr.ID, Kind: cr.Kind, Name: cr.Name,
			CreatedAt: cr.CreatedAt, UsedAt: cr.UsedAt})
	}
	return views.Render(c, status, views.AccountPage(h.Chrome(c), v))
}

// SetPasswordForm sets or replaces the password.
func (h *Handlers) SetPasswordForm(c *fiber.Ctx) error {
	pw, again := c.FormValue("password"), c.FormValue("password_again")
	msg := owner.CheckPassword(pw)
	if msg == "" && pw != again {
		msg = "The two passwords are not the same."
	}
	if msg != "" {
		return h.renderAccount(c, fiber.StatusUnprocessableEntity, "", msg)
	}
	// Whoever else is signed in (a browser left signed in elsewhere, someone who knew the old password) is not
	// any more.
	if err := h.owner.SetPassword(c.UserContext(), pw, session(c).ID); err != nil {
		return err
	}
	return c.Redirect("/admin/account?done=password", fiber.StatusSeeOther)
}

// AddPasskeyBegin starts registering another passkey.
func (h *Handlers) AddPasskeyBegin(c *fiber.Ctx) error { return h.beginRegistration(c, "add") }

// AddPasskeyFinish registers another passkey.
func (h *Handlers) AddPasskeyFinish(c *fiber.Ctx) error {
	cred, err := h.finishRegistration(c, "add")
	if err != nil {
		return err
	}
	if err := h.owner.AddPasskey(c.UserContext(), cred); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"redirect": "/admin/account?done=passkey"})
}

const lastCredential = "This is your only way to sign in, so it cannot be removed. Add another one first."

// RemoveCredential removes a password or passkey, unless it is the last one (the owner could not sign in), and
// ends every other session: a browser signed in by someone who held the removed passkey is signed out.
func (h *Handlers) RemoveCredential(c *fiber.Ctx) error {
	id := web.ParseID(c.Params("id"))
	if id == 0 {
		return fiber.ErrNotFound
	}
	creds, err := h.owner.Credentials(c.UserContext(), "")
	if err != nil {
		return err
	}
	if len(creds) <= 1 {
		return h.renderAccount(c, fiber.StatusConflict, "", lastCredential)
	}
	err = h.owner.RemoveCredential(c.UserContext(), id, session(c).ID)
	if errors.Is(err, accounts.ErrLastCredential) {
		return h.renderAccount(c, fiber.StatusConflict, "", lastCredential)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/account?done=removed", fiber.StatusSeeOther)
}
