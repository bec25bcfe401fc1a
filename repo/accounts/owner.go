// Package accounts holds the store of the owner's account: the credentials the owner signs in with (a password
// hash, passkeys), the signed-in sessions, the one-time setup token that lets whoever holds it claim the blog, and
// the passkey challenges already answered. The owner service uses it, as do the owner's commands.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
	"blog/repo/internal/store"
)

// The kinds of owner credential.
const (
	CredentialPassword = "password"
	CredentialPasskey  = "passkey"
)

// Credential is something the owner signs in with: an Argon2id password hash, or a passkey (the WebAuthn
// credential as JSON). Neither is a secret that would let anyone sign in if read.
type Credential struct {
	ID        int64
	Kind      string
	Name      string
	Secret    string
	CreatedAt time.Time
	UsedAt    *time.Time
}

func (Credential) Table() string { return "owner_credentials" }

// Session is a signed-in browser. Only a hash of its random id is stored.
type Session struct {
	ID        int64
	TokenHash string
	// Method is how the owner signed in ("password", "passkey", "setup").
	Method    string
	CreatedAt time.Time
	SeenAt    time.Time
	ExpiresAt time.Time
}

func (Session) Table() string { return "owner_sessions" }

// setupToken is a one-time token that lets whoever holds it become the owner, stored as a hash.
type setupToken struct {
	ID        int64
	TokenHash string
	CreatedAt time.Time
}

func (setupToken) Table() string { return "owner_tokens" }

// Owner stores the owner's credentials, sessions and setup tokens.
type Owner struct {
	db *database.DB
}

// NewOwner returns the owner store backed by db.
func NewOwner(db *database.DB) *Owner { return &Owner{db: db} }

// ErrClaimed means the blog has an owner already (a setup token is no longer any use).
var ErrClaimed = errors.New("the blog has an owner already")

// HasCredentials reports whether the owner can sign in at all.
func (o *Owner) HasCredentials(ctx context.Context) (bool, error) {
	n, err := o.db.Repo().Count(ctx, "owner_credentials")
	return n > 0, repo.Translate(err, "count credentials")
}

// Credentials returns the owner's credentials of one kind ("" for all), oldest first.
func (o *Owner) Credentials(ctx context.Context, kind string) ([]Credential, error) {
	q := rel.From("owner_credentials").SortAsc("id")
	if kind != "" {
		q = q.Where(where.Eq("kind", kind))
	}
	var out []Credential
	if err := o.db.Repo().FindAll(ctx, &out, q); err != nil {
		return nil, repo.Translate(err, "list credentials")
	}
	return out, nil
}

// Claim makes the holder of a setup token the owner: in one transaction it uses up the token, stores the first
// credential, removes every setup token and records the action. A wrong or used token is ErrNotFound; a blog
// that has an owner already is ErrClaimed. However many claim at once with one link, one wins: the token's
// row is deleted by the first, and the others find nothing to delete.
func (o *Owner) Claim(ctx context.Context, tokenHash string, c Credential) (Credential, error) {
	err := o.db.Write(ctx, func(ctx context.Context) error {
		if err := o.lockOwnership(ctx); err != nil {
			return err
		}
		n, err := o.db.Repo().DeleteAny(ctx, rel.From("owner_tokens").Where(where.Eq("token_hash", tokenHash)))
		if err != nil {
			return err
		}
		if n == 0 {
			return rel.ErrNotFound
		}
		// A token made while an earlier claim was committing must not make a second owner.
		owned, err := o.db.Repo().Count(ctx, "owner_credentials")
		if err != nil {
			return err
		}
		if owned > 0 {
			return ErrClaimed
		}
		if _, err := o.db.Repo().DeleteAny(ctx, rel.From("owner_tokens")); err != nil {
			return err
		}
		if err := o.insertCredential(ctx, &c); err != nil {
			return err
		}
		return repo.InsertAudit(ctx, o.db, repo.AuditEntry{Actor: repo.ActorOwner, Action: "claim", Detail: "first " + c.Kind + " set up"})
	})
	if errors.Is(err, ErrClaimed) {
		return c, err
	}
	return c, repo.Translate(err, "claim the blog")
}

// lockOwnership makes the transactions that decide who owns the blog (claims, new setup tokens) take turns.
// (SQLite runs one writer at a time already.)
func (o *Owner) lockOwnership(ctx context.Context) error {
	return o.db.Lock(ctx, store.LockOwnership, "")
}

func (o *Owner) insertCredential(ctx context.Context, c *Credential) error {
	c.ID = 0
	c.CreatedAt = time.Now().UTC()
	return o.db.Repo().Insert(ctx, c)
}

// AddCredential stores another credential and records the action.
func (o *Owner) AddCredential(ctx context.Context, c Credential, act repo.Action) (Credential, error) {
	err := o.db.Write(ctx, func(ctx context.Context) error {
		if err := o.insertCredential(ctx, &c); err != nil {
			return err
		}
		return repo.InsertAudit(ctx, o.db, repo.AuditEntry{Actor: act.Actor, Action: act.Name, Detail: c.Kind + " " + c.Name})
	})
	return c, repo.Translate(err, "add credential")
}

// SetPassword replaces the owner's password (or sets the first one), ends every session and records the action:
// whoever signed in before the change signs in again.
func (o *Owner) SetPassword(ctx context.Context, hash string, act repo.Action) error {
	return o.ReplacePassword(ctx, hash, 0, act)
}

// ReplacePassword is SetPassword done from a signed-in session: every session ends but keep (0 keeps none), the
// one that made the change.
func (o *Owner) ReplacePassword(ctx context.Context, hash string, keep int64, act repo.Action) error {
	err := o.db.Write(ctx, func(ctx context.Context) error {
		if _, err := o.db.Repo().DeleteAny(ctx, rel.From("owner_credentials").Where(where.Eq("kind", CredentialPassword))); err != nil {
			return err
		}
		c := Credential{Kind: CredentialPassword, Name: "password", Secret: hash}
		if err := o.insertCredential(ctx, &c); err != nil {
			return err
		}
		if _, err := o.db.Repo().DeleteAny(ctx, rel.From("owner_tokens")); err != nil {
			return err
		}
		if err := o.endSessionsBut(ctx, keep); err != nil {
			return err
		}
		return repo.InsertAudit(ctx, o.db, repo.AuditEntry{Actor: act.Actor, Action: act.Name})
	})
	return repo.Translate(err, "set password")
}

// ErrLastCredential means the credential to remove is the owner's only way to sign in.
var ErrLastCredential = errors.New("the owner's only way to sign in")

// RemoveCredential deletes one credential, ends every session but keep (0 keeps none) and records the action. An
// unknown id is ErrNotFound; the last credential is not removed (ErrLastCredential), even when two removals
// race.
func (o *Owner) RemoveCredential(ctx context.Context, id, keep int64, act repo.Action) error {
	err := o.db.Write(ctx, func(ctx context.Context) error {
		var c Credential
		if err := o.db.Repo().Find(ctx, &c, where.Eq("id", id)); err != nil {
			return err
		}
		if err := o.db.Repo().Delete(ctx, &c); err != nil {
			return err
		}
		left, err := o.db.Repo().Count(ctx, "owner_credentials")
		if err != nil {
			return err
		}
		if left == 0 {
			return ErrLastCredential
		}
		if err := o.endSessionsBut(ctx, keep); err != nil {
			return err
		}
		return repo.InsertAudit(ctx, o.db, repo.AuditEntry{Actor: act.Actor, Action: act.Name, Detail: c.Kind + " " + c.Name})
	})
	if errors.Is(err, ErrLastCredential) {
		return err
	}
	return repo.Translate(err, "remove credential")
}

// endSessionsBut deletes every session other than keep's.
func (o *Owner) endSessionsBut(ctx context.Context, keep int64) error {
	_, err := o.db.Repo().DeleteAny(ctx, rel.From("owner_sessions").Where(where.Ne("id", keep)))
	return err
}

// UsedCredential records a sign-in with a credential, and its updated secret (a passkey's signature counter).
func (o *Owner) UsedCredential(ctx context.Context, id int64, secret string) error {
	now := time.Now().UTC()
	mut := []rel.Mutate{rel.Set("used_at", now)}
	if secret != "" {
		mut = append(mut, rel.Set("secret", secret))
	}
	_, err := o.db.Repo().UpdateAny(ctx, rel.From("owner_credentials").Where(where.Eq("id", id)), mut...)
	return repo.Translate(err, "record credential use")
}

// UsedPasskey records a sign-in with a passkey and its new state (the authenticator's signature counter), only
// if the stored state is still was: of two sign-ins that read the same counter, the second is ErrConflict
// rather than a second success with the same count.
func (o *Owner) UsedPasskey(ctx context.Context, id int64, was, now string) error {
	n, err := o.db.Repo().UpdateAny(ctx, rel.From("owner_credentials").Where(where.Eq("id", id), where.Eq("secret", was)),
		rel.Set("used_at", time.Now().UTC()), rel.Set("secret", now))
	if err == nil && n == 0 {
		return fmt.Errorf("record passkey use: the passkey changed meanwhile: %w", repo.ErrConflict)
	}
	return repo.Translate(err, "record passkey use")
}

// challenge is a passkey challenge that has been answered (rightly or not); it is kept until it would have
// expired anyway, so that no answer to it is accepted again.
type challenge struct {
	ID            int64
	ChallengeHash string
	ExpiresAt     time.Time
}

func (challenge) Table() string { return "owner_challenges" }

// UseChallenge records that the passkey challenge with this hash, valid until expires, has been answered. A
// challenge answered before is ErrConflict, on every instance: the table's unique index decides. Challenges
// past their expiry are forgotten on the way.
func (o *Owner) UseChallenge(ctx context.Context, hash string, expires time.Time) error {
	err := o.db.Write(ctx, func(ctx context.Context) error {
		if _, err := o.db.Repo().DeleteAny(ctx, rel.From("owner_challenges").Where(where.Lt("expires_at", time.Now().UTC()))); err != nil {
			return err
		}
		return o.db.Repo().Insert(ctx, &challenge{ChallengeHash: hash, ExpiresAt: expires.UTC()})
	})
	return repo.Translate(err, "use passkey challenge")
}

// Reset removes every credential and session, so nobody is signed in and only a setup link can claim the blog.
func (o *Owner) Reset(ctx context.Context, act repo.Action) error {
	err := o.db.Write(ctx, func(ctx context.Context) error {
		for _, table := range []string{"owner_credentials", "owner_sessions", "owner_tokens"} {
			if _, err := o.db.Repo().DeleteAny(ctx, rel.From(table)); err != nil {
				return err
			}
		}
		return repo.InsertAudit(ctx, o.db, repo.AuditEntry{Actor: act.Actor, Action: act.Name})
	})
	return repo.Translate(err, "reset owner")
}

// NewSetupToken replaces any setup token with one whose hash is given, unless the blog has an owner already
// (ErrClaimed).
func (o *Owner) NewSetupToken(ctx context.Context, tokenHash string) error {
	err := o.db.Write(ctx, func(ctx context.Context) error {
		if err := o.lockOwnership(ctx); err != nil {
			return err
		}
		n, err := o.db.Repo().Count(ctx, "owner_credentials")
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrClaimed
		}
		if _, err := o.db.Repo().DeleteAny(ctx, rel.From("owner_tokens")); err != nil {
			return err
		}
		return o.db.Repo().Insert(ctx, &setupToken{TokenHash: tokenHash, CreatedAt: time.Now().UTC()})
	})
	if errors.Is(err, ErrClaimed) {
		return err
	}
	return repo.Translate(err, "create setup token")
}

// ValidSetupToken reports whether a setup token with this hash is waiting to be used.
func (o *Owner) ValidSetupToken(ctx context.Context, tokenHash string) (bool, error) {
	n, err := o.db.Repo().Count(ctx, "owner_tokens", where.Eq("token_hash", tokenHash))
	return n > 0, repo.Translate(err, "check setup token")
}

// CreateSession stores a new session.
func (o *Owner) CreateSession(ctx context.Context, s Session) error {
	s.ID = 0
	return repo.Translate(o.db.Repo().Insert(ctx, &s), "create session")
}

// FindSession returns the session with this token hash; an unknown one is ErrNotFound.
func (o *Owner) FindSession(ctx context.Context, tokenHash string) (Session, error) {
	var s Session
	err := o.db.Repo().Find(ctx, &s, where.Eq("token_hash", tokenHash))
	s.CreatedAt, s.SeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.SeenAt.UTC(), s.ExpiresAt.UTC()
	return s, repo.Translate(err, "find session")
}

// TouchSession records that a session was used now.
func (o *Owner) TouchSession(ctx context.Context, id int64, at time.Time) error {
	_, err := o.db.Repo().UpdateAny(ctx, rel.From("owner_sessions").Where(where.Eq("id", id)), rel.Set("seen_at", at.UTC()))
	return repo.Translate(err, "touch session")
}

// DeleteSession ends a session.
func (o *Owner) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := o.db.Repo().DeleteAny(ctx, rel.From("owner_sessions").Where(where.Eq("token_hash", tokenHash)))
	return repo.Translate(err, "delete session")
}

// DeleteSessionsBefore removes the sessions that expired or went idle, returning how many.
func (o *Owner) DeleteSessionsBefore(ctx context.Context, now, idleSince time.Time) (int, error) {
	n, err := o.db.Repo().DeleteAny(ctx, rel.From("owner_sessions").Where(
		where.Or(where.Lt("expires_at", now.UTC()), where.Lt("seen_at", idleSince.UTC()))))
	return n, repo.Translate(err, "delete old sessions")
}
