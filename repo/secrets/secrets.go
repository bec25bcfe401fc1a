// Package secrets keeps the server's own keys in the database (the site secret the keys are derived from when
// SECRET_KEY is not set, the blog's identity in exports), so that every instance and every restart uses the same
// ones.
package secrets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/go-rel/rel"
	"github.com/go-rel/rel/where"

	"blog/database"
	"blog/repo"
)

// secret is a row of the secrets table.
type secret struct {
	ID        int64
	Name      string
	Value     string
	CreatedAt time.Time
}

// Secrets keeps server-side keys in the database, so every instance and every restart uses the same ones.
type Secrets struct {
	db *database.DB
}

// NewSecrets returns the secret store backed by db.
func NewSecrets(db *database.DB) *Secrets { return &Secrets{db: db} }

// Secret returns the named 32-byte key (hex), creating it at random the first time. Instances starting together
// agree on one value: the loser of the insert race reads the winner's.
func (s *Secrets) Secret(ctx context.Context, name string) (string, error) {
	var row secret
	err := s.db.Repo().Find(ctx, &row, where.Eq("name", name))
	if err == nil {
		return row.Value, nil
	}
	if !errors.Is(err, rel.ErrNotFound) {
		return "", repo.Translate(err, "read secret")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	row = secret{Name: name, Value: hex.EncodeToString(b), CreatedAt: time.Now().UTC()}
	if err := s.db.Repo().Insert(ctx, &row); err != nil {
		if !errors.Is(err, rel.ErrUniqueConstraint) {
			return "", repo.Translate(err, "create secret")
		}
		if err := s.db.Repo().Find(ctx, &row, where.Eq("name", name)); err != nil {
			return "", repo.Translate(err, "read secret")
		}
	}
	return row.Value, nil
}

// Replace sets the named key to value, whatever it was (a restored blog taking the identity of the one it comes
// from). It runs inside the caller's transaction when there is one, which translates its error.
func (s *Secrets) Replace(ctx context.Context, name, value string) error {
	if _, err := s.db.Repo().DeleteAny(ctx, rel.From("secrets").Where(where.Eq("name", name))); err != nil {
		return err
	}
	return s.db.Repo().Insert(ctx, &secret{Name: name, Value: value, CreatedAt: time.Now().UTC()})
}
