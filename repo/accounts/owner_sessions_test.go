package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"blog/database"
	"blog/internal/dbtest"
	"blog/repo"
	"blog/repo/accounts"
)

// TestCredentialChangesEndOtherSessions: replacing the password or removing a credential ends every session
// but the one that did it; setting the password without a session (the command line) ends them all.
func TestCredentialChangesEndOtherSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		own := accounts.NewOwner(db)
		sessions := func(names ...string) map[string]int64 {
			ids := map[string]int64{}
			now := time.Now().UTC()
			for _, n := range names {
				if err := own.CreateSession(ctx, accounts.Session{TokenHash: n, Method: "password", CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
				s, err := own.FindSession(ctx, n)
				if err != nil {
					t.Fatal(err)
				}
				ids[n] = s.ID
			}
			return ids
		}
		alive := func(want ...string) {
			t.Helper()
			var all []accounts.Session
			if err := db.Repo().FindAll(ctx, &all); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range all {
				got = append(got, s.TokenHash)
			}
			slices.Sort(got)
			slices.Sort(want)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("sessions %v, want %v", got, want)
			}
		}

		ids := sessions("console", "laptop", "phone")
		if err := own.ReplacePassword(ctx, "hash 1", ids["console"], repo.Action{Actor: repo.ActorOwner, Name: "set-password"}); err != nil {
			t.Fatal(err)
		}
		alive("console")

		ids = sessions("laptop", "phone")
		passkey, err := own.AddCredential(ctx, accounts.Credential{Kind: accounts.CredentialPasskey, Name: "key", Secret: "{}"}, cli)
		if err != nil {
			t.Fatal(err)
		}
		alive("console", "laptop", "phone") // adding a way in takes none away
		if err := own.RemoveCredential(ctx, passkey.ID, ids["phone"], repo.Action{Actor: repo.ActorOwner, Name: "remove-credential"}); err != nil {
			t.Fatal(err)
		}
		alive("phone")

		sessions("laptop")
		if err := own.SetPassword(ctx, "hash 2", cli); err != nil {
			t.Fatal(err)
		}
		alive()

		// The last way in stays, and then nothing else changes either.
		sessions("laptop")
		creds, _ := own.Credentials(ctx, "")
		if err := own.RemoveCredential(ctx, creds[0].ID, 0, cli); !errors.Is(err, accounts.ErrLastCredential) {
			t.Fatalf("removing the last credential: %v, want ErrLastCredential", err)
		}
		if after, _ := own.Credentials(ctx, ""); len(after) != 1 {
			t.Fatalf("%d credentials after refusing to remove the last", len(after))
		}
		alive("laptop")
	})
}
