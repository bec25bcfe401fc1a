package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/accounts"
)

// TestSetupLinkIsClaimedOnceUnderConcurrency has eight people claim the blog with one setup link at the same
// moment, round after round: every round ends with exactly one owner, the others told the link is spent.
func TestSetupLinkIsClaimedOnceUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		own := accounts.NewOwner(db)
		const rounds, claimers = 12, 8
		for round := range rounds {
			if err := own.Reset(ctx, cli); err != nil {
				t.Fatal(err)
			}
			token := fmt.Sprintf("token-%d", round)
			if err := own.NewSetupToken(ctx, token); err != nil {
				t.Fatal(err)
			}
			start := make(chan struct{})
			errs := make([]error, claimers)
			var wg sync.WaitGroup
			for i := range claimers {
				wg.Go(func() {
					<-start
					_, errs[i] = own.Claim(ctx, token, accounts.Credential{Kind: accounts.CredentialPassword, Name: "password",
						Secret: fmt.Sprintf("hash of claimer %d", i)})
				})
			}
			close(start)
			wg.Wait()
			won := 0
			for i, err := range errs {
				switch {
				case err == nil:
					won++
				case errors.Is(err, repo.ErrNotFound) || errors.Is(err, accounts.ErrClaimed):
				default:
					t.Fatalf("round %d, claimer %d: %v; want success, ErrNotFound or ErrClaimed", round, i, err)
				}
			}
			creds, err := own.Credentials(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if won != 1 || len(creds) != 1 {
				t.Fatalf("round %d: %d claims succeeded and %d credentials stored; want exactly one owner", round, won, len(creds))
			}
			claims := 0
			entries, _ := repo.NewAudit(db).List(ctx, 0, 100)
			for _, e := range entries {
				if e.Action == "claim" {
					claims++
				}
			}
			if claims != round+1 {
				t.Fatalf("round %d: %d claims in the audit trail, want %d", round, claims, round+1)
			}
		}
	})
}

// TestSetupTokenMadeDuringAClaimCannotMakeASecondOwner: a setup token that exists while the blog has an owner
// (made by a start that counted no owner while a claim was committing) claims nothing.
func TestSetupTokenMadeDuringAClaimCannotMakeASecondOwner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		own := accounts.NewOwner(db)
		if err := own.NewSetupToken(ctx, "first"); err != nil {
			t.Fatal(err)
		}
		if _, err := own.Claim(ctx, "first", accounts.Credential{Kind: accounts.CredentialPassword, Name: "password", Secret: "a"}); err != nil {
			t.Fatal(err)
		}
		// Written as the racing start would have written it.
		if _, _, err := db.Repo().Exec(ctx, "INSERT INTO owner_tokens (token_hash, created_at) VALUES ('late', '2026-12-06 10:00:00')"); err != nil {
			t.Fatal(err)
		}
		_, err := own.Claim(ctx, "late", accounts.Credential{Kind: accounts.CredentialPassword, Name: "password", Secret: "b"})
		if !errors.Is(err, accounts.ErrClaimed) {
			t.Fatalf("claim with a token made after the blog was claimed: %v, want ErrClaimed", err)
		}
		if creds, _ := own.Credentials(ctx, ""); len(creds) != 1 || creds[0].Secret != "a" {
			t.Fatalf("credentials after the late claim: %+v, want the first owner's only", creds)
		}
	})
}
