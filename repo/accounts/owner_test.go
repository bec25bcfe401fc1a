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

var cli = repo.Action{Actor: repo.ActorCLI, Name: "test"}

func TestOwnerStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		own := accounts.NewOwner(db)
		if err := own.NewSetupToken(ctx, "first"); err != nil {
			t.Fatal(err)
		}
		if err := own.NewSetupToken(ctx, "second"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := own.ValidSetupToken(ctx, "first"); ok {
			t.Fatal("a new setup token must replace the old one")
		}
		if _, err := own.Claim(ctx, "first", accounts.Credential{Kind: accounts.CredentialPassword, Name: "p", Secret: "h"}); !errors.Is(err, repo.ErrNotFound) {
			t.Fatalf("claim with a replaced token: %v, want ErrNotFound", err)
		}
		if _, err := own.Claim(ctx, "second", accounts.Credential{Kind: accounts.CredentialPassword, Name: "p", Secret: "h"}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := own.ValidSetupToken(ctx, "second"); ok {
			t.Fatal("a setup token is used once")
		}
		if err := own.NewSetupToken(ctx, "third"); !errors.Is(err, accounts.ErrClaimed) {
			t.Fatalf("setup token with an owner: %v, want ErrClaimed", err)
		}
		now := time.Now().UTC()
		for _, s := range []accounts.Session{
			{TokenHash: "live", Method: "password", CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(time.Hour)},
			{TokenHash: "idle", Method: "password", CreatedAt: now, SeenAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(time.Hour)},
			{TokenHash: "expired", Method: "password", CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(-time.Minute)},
		} {
			if err := own.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := own.DeleteSessionsBefore(ctx, now, now.Add(-24*time.Hour)); err != nil || n != 2 {
			t.Fatalf("old sessions deleted: %d, %v; want 2", n, err)
		}
		if _, err := own.FindSession(ctx, "live"); err != nil {
			t.Fatal(err)
		}
		if err := own.Reset(ctx, cli); err != nil {
			t.Fatal(err)
		}
		if has, _ := own.HasCredentials(ctx); has {
			t.Fatal("credentials left after reset")
		}
		if _, err := own.FindSession(ctx, "live"); !errors.Is(err, repo.ErrNotFound) {
			t.Fatalf("session after reset: %v", err)
		}
	})
}
