package owner

import (
	"context"

	"blog/repo"
	"blog/repo/accounts"
)

// HasCredentials reports whether the blog has an owner: a password or a passkey to sign in with.
func (o *Owner) HasCredentials(ctx context.Context) (bool, error) {
	return o.cfg.Store.HasCredentials(ctx)
}

// Credentials lists the owner's credentials of one kind (accounts.CredentialPassword, accounts.CredentialPasskey), or
// of every kind for "".
func (o *Owner) Credentials(ctx context.Context, kind string) ([]accounts.Credential, error) {
	return o.cfg.Store.Credentials(ctx, kind)
}

// PasswordMatches reports whether pw is the owner's password, recording the use of the one it matches, and
// whether the owner has a password at all.
func (o *Owner) PasswordMatches(ctx context.Context, pw string) (match, set bool, err error) {
	creds, err := o.cfg.Store.Credentials(ctx, accounts.CredentialPassword)
	if err != nil {
		return false, false, err
	}
	for _, cr := range creds {
		if ok, err := VerifyPassword(pw, cr.Secret); err == nil && ok {
			match = true
			if err := o.cfg.Store.UsedCredential(ctx, cr.ID, ""); err != nil {
				return false, true, err
			}
		}
	}
	return match, len(creds) > 0, nil
}

// UsedPasskey records a sign-in with the stored passkey id, replacing its stored state was with now (which keeps
// the authenticator's new signature counter). It is repo.ErrConflict when the passkey changed or went meanwhile.
func (o *Owner) UsedPasskey(ctx context.Context, id int64, was, now string) error {
	return o.cfg.Store.UsedPasskey(ctx, id, was, now)
}

// ValidSetupToken reports whether tok is a setup link's token waiting to be used.
func (o *Owner) ValidSetupToken(ctx context.Context, tok string) (bool, error) {
	if len(tok) != 43 {
		return false, nil
	}
	return o.cfg.Store.ValidSetupToken(ctx, hashToken(tok))
}

// Claim makes the holder of the setup token tok the blog's owner, with cred as their first credential. It is
// repo.ErrNotFound or accounts.ErrClaimed when the token is not waiting any more (the blog was claimed meanwhile).
func (o *Owner) Claim(ctx context.Context, tok string, cred accounts.Credential) (accounts.Credential, error) {
	return o.cfg.Store.Claim(ctx, hashToken(tok), cred)
}

// SetupCeremony names the passkey ceremony that claims the blog with the setup token tok: bound to the token,
// so its answer counts for that link alone.
func SetupCeremony(tok string) string { return "setup:" + hashToken(tok) }

// AddPasskey adds another passkey for the signed-in owner.
func (o *Owner) AddPasskey(ctx context.Context, cred accounts.Credential) error {
	_, err := o.cfg.Store.AddCredential(ctx, cred, repo.Action{Actor: repo.ActorOwner, Name: "add-passkey"})
	return err
}

// SetPassword sets or replaces the owner's password (pw must pass CheckPassword). Every session but keepSession
// (the browser that set it) ends: whoever else was signed in, a browser left signed in elsewhere or someone who
// knew the old password, is not any more.
func (o *Owner) SetPassword(ctx context.Context, pw string, keepSession int64) error {
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	return o.cfg.Store.ReplacePassword(ctx, hash, keepSession, repo.Action{Actor: repo.ActorOwner, Name: "set-password"})
}

// RemoveCredential removes a password or passkey, unless it is the last one (accounts.ErrLastCredential), and ends
// every session but keepSession.
func (o *Owner) RemoveCredential(ctx context.Context, id, keepSession int64) error {
	return o.cfg.Store.RemoveCredential(ctx, id, keepSession, repo.Action{Actor: repo.ActorOwner, Name: "remove-credential"})
}
