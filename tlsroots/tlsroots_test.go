package tlsroots

import (
	"crypto/x509"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// In a process that finds no system roots (as in the container), a certificate from a public root is trusted
// once Ensure has run, and not before. It runs in a child process: crypto/x509 loads the system's roots once
// per process.
func TestFallbackRootsWhereTheSystemHasNone(t *testing.T) {
	if os.Getenv("TLSROOTS_CHILD") == "1" {
		var root *x509.Certificate
		for r := range bundle.Roots() {
			if r.Constraint == nil {
				root, _ = x509.ParseCertificate(r.Certificate)
				break
			}
		}
		if root == nil {
			t.Fatal("no unconstrained root in the bundle")
		}
		opts := x509.VerifyOptions{CurrentTime: root.NotBefore.Add(time.Hour)}
		if _, err := root.Verify(opts); err == nil {
			t.Fatal("trusted before Ensure: the system has roots after all, and this test shows nothing")
		}
		Ensure()
		Ensure() // twice is fine
		if _, err := root.Verify(opts); err != nil {
			t.Fatalf("not trusted after Ensure: %v", err)
		}
		return
	}
	empty := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFallbackRootsWhereTheSystemHasNone$", "-test.v")
	cmd.Env = append(os.Environ(), "TLSROOTS_CHILD=1", "SSL_CERT_FILE="+empty+"/none.pem", "SSL_CERT_DIR="+empty)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
