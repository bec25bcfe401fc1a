package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"blog/internal/dbtest"
)

// TestSubscribersCommands imports Substack's export with `web subscribers import`, counts, exports, and
// imports the export into an empty database, which exports the same file; a bad file changes nothing.
func TestSubscribersCommands(t *testing.T) {
	ctx := context.Background()
	web := func(dbURL string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"subscribers"}, args...), envFunc(map[string]string{"DATABASE_URL": dbURL}), strings.NewReader(""), &out, io.Discard)
		return out.String(), err
	}
	from, to := dbtest.SQLiteURL(t), dbtest.SQLiteURL(t)
	dbtest.Open(t, from, true).Close()
	dbtest.Open(t, to, true).Close()
	out, err := web(from, "import", filepath.Join("..", "..", "newsletter", "testdata", "substack.csv"))
	if err != nil || !strings.Contains(out, "read 3 subscriber(s) (2 confirmed, 0 waiting, 1 unsubscribed): 3 added") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if out, err = web(from); err != nil || out != "2 confirmed subscriber(s), 0 waiting to confirm, 1 unsubscribed\n" {
		t.Fatalf("count: %v %q", err, out)
	}
	file := filepath.Join(t.TempDir(), "subscribers.csv")
	if out, err = web(from, "export", file); err != nil || !strings.Contains(out, "exported 3 subscriber(s)") {
		t.Fatalf("export: %v %s", err, out)
	}
	if _, err = web(from, "export", file); err == nil || !strings.Contains(err.Error(), "must not exist") {
		t.Fatalf("export over a file: %v", err)
	}
	if _, err = web(to, "import", file); err != nil {
		t.Fatal(err)
	}
	again, err := web(to, "export", "-")
	first, _ := os.ReadFile(file)
	if err != nil || again != string(first) {
		t.Fatalf("round trip: %v\n%s\n---\n%s", err, first, again)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("email\nok@example.com\nnope\n"), 0o644)
	if _, err = web(to, "import", bad); err == nil || !strings.Contains(err.Error(), `line 3: "nope" is not an email address`) {
		t.Fatalf("bad file: %v", err)
	}
	if out, _ = web(to); !strings.HasPrefix(out, "2 confirmed") {
		t.Fatalf("a refused file changed the count: %s", out)
	}
	if _, err = web(to, "frobnicate"); err == nil || !strings.Contains(err.Error(), "usage: web subscribers") {
		t.Fatalf("unknown: %v", err)
	}
}
