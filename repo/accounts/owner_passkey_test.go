package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/accounts"
)

// TestPasskeyChallengeIsUsedOnce: a challenge is accepted once across every instance; expired ones are forgotten.
func TestPasskeyChallengeIsUsedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		own := accounts.NewOwner(db)
		soon := time.Now().Add(2 * time.Minute)
		if err := own.UseChallenge(ctx, "c1", soon); err != nil {
			t.Fatal(err)
		}
		if err := own.UseChallenge(ctx, "c1", soon); !errors.Is(err, repo.ErrConflict) {
			t.Fatalf("second use: %v, want ErrConflict", err)
		}
		if err := own.UseChallenge(ctx, "old", time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := own.UseChallenge(ctx, "c2", soon); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.Repo().Count(ctx, "owner_challenges"); n != 2 {
			t.Fatalf("%d challenges kept, want 2 (the expired one forgotten)", n)
		}
	})
}

// TestUsedPasskeyStoresOnlyOverWhatWasRead: of two sign-ins that read the same passkey state, the second is
// refused instead of storing a counter the first has already stored.
func TestUsedPasskeyStoresOnlyOverWhatWasRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		own := accounts.NewOwner(db)
		c, err := own.AddCredential(ctx, accounts.Credential{Kind: accounts.CredentialPasskey, Name: "key", Secret: `{"n":1}`}, cli)
		if err != nil {
			t.Fatal(err)
		}
		if err := own.UsedPasskey(ctx, c.ID, `{"n":1}`, `{"n":2}`); err != nil {
			t.Fatal(err)
		}
		if err := own.UsedPasskey(ctx, c.ID, `{"n":1}`, `{"n":2}`); !errors.Is(err, repo.ErrConflict) {
			t.Fatalf("second store over the same state: %v, want ErrConflict", err)
		}
		creds, _ := own.Credentials(ctx, accounts.CredentialPasskey)
		if len(creds) != 1 || creds[0].Secret != `{"n":2}` || creds[0].UsedAt == nil {
			t.Fatalf("stored passkey %+v", creds)
		}
	})
}
