package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"blog/internal/dbtest"
	"blog/owner"
	"blog/repo"
	"blog/repo/accounts"
)

// TestOwnerPasswordCommandEndsEverySession: `web owner password` run on the server's database signs out every
// browser, on SQLite and PostgreSQL; the new password then works.
func TestOwnerPasswordCommandEndsEverySession(t *testing.T) {
	for name, mk := range map[string]func(testing.TB) string{"sqlite": dbtest.SQLiteURL, "postgres": dbtest.PostgresURL} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dbURL := mk(t)
			store := accounts.NewOwner(dbtest.Open(t, dbURL, true))
			if err := store.SetPassword(ctx, "an old hash", repo.Action{Actor: repo.ActorCLI, Name: "set-password"}); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			for _, s := range []string{"laptop", "phone"} {
				if err := store.CreateSession(ctx, accounts.Session{TokenHash: s, Method: "password", CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			var out strings.Builder
			err := run(ctx, []string{"owner", "password"}, envFunc(map[string]string{"DATABASE_URL": dbURL}),
				strings.NewReader("a brand new long password\n"), &out, &out)
			if err != nil || !strings.Contains(out.String(), "every session ended") {
				t.Fatalf("web owner password: %v\n%s", err, out.String())
			}
			for _, s := range []string{"laptop", "phone"} {
				if _, err := store.FindSession(ctx, s); err == nil {
					t.Errorf("session %q survived `web owner password`", s)
				}
			}
			creds, err := store.Credentials(ctx, accounts.CredentialPassword)
			if err != nil || len(creds) != 1 {
				t.Fatalf("passwords: %v, %v", creds, err)
			}
			if ok, err := owner.VerifyPassword("a brand new long password", creds[0].Secret); !ok || err != nil {
				t.Fatalf("the new password does not match what was stored: %v", err)
			}
		})
	}
}
