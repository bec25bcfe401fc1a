package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"

	"blog/cmd/web/config"
	"blog/database"
	"blog/repo/secrets"
)

// siteKeySet holds the keys derived from the site's one secret, one per purpose, so that no key serves two.
type siteKeySet struct {
	// CSRF signs visitors' CSRF tokens; it is the site secret itself, as it was before other keys were derived.
	CSRF []byte
	// Authorship signs the cookie in which a browser remembers its own comments.
	Authorship []byte
	// Address keys the hashes of commenters' addresses (stored with comments, used by bans).
	Address []byte
	// Owner signs the owner's session-bound form tokens and passkey ceremonies.
	Owner []byte
	// Avatar keys the hash avatars are drawn from.
	Avatar []byte
	// Notify signs the confirmation and unsubscribe links in notification mail.
	Notify []byte
}

// siteKeys derives the keys from SECRET_KEY, or from a random secret kept in the database (shared by every
// instance and by the command line, which must hash addresses the same way the server does).
func siteKeys(ctx context.Context, cfg config.Config, db *database.DB) (siteKeySet, error) {
	root := cfg.SecretKey
	if root == "" {
		var err error
		if root, err = secrets.NewSecrets(db).Secret(ctx, "csrf"); err != nil {
			return siteKeySet{}, err
		}
	}
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, []byte(root))
		m.Write([]byte(purpose))
		return m.Sum(nil)
	}
	return siteKeySet{CSRF: []byte(root), Authorship: derive("authorship"), Address: derive("address"), Owner: derive("owner"),
		Avatar: derive("avatar"), Notify: derive("notify")}, nil
}
