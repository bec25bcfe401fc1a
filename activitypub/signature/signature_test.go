package signature_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blog/activitypub/signature"
)

// joyent runs testdata/httpsig.js with job and returns what it answered. It needs node and the project's
// node_modules (npm ci), as the build of the CSS does.
func joyent(t *testing.T, job map[string]any) map[string]any {
	t.Helper()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	if _, err := os.Stat(filepath.Join(root, "node_modules", "http-signature")); err != nil {
		t.Skip("node_modules/http-signature is not installed: run npm ci")
	}
	in, _ := json.Marshal(job)
	cmd := exec.Command("node", filepath.Join("testdata", "httpsig.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(root, "node_modules"))
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node answered %q", out)
	}
	return got
}

func testKey(t *testing.T) (string, string) {
	priv, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, _ := signature.ParsePrivateKey(priv)
	pub, _ := signature.PublicKeyPEM(k)
	return priv, pub
}

// TestSignaturesAgainstJoyent checks the blog's HTTP Signatures against joyent's http-signature, an independent
// implementation of the same draft: a delivery the blog signs verifies there (and one altered after signing
// does not), and a POST signed there, as Mastodon signs, verifies here.
func TestSignaturesAgainstJoyent(t *testing.T) {
	priv, pub := testKey(t)
	key, _ := signature.ParsePrivateKey(priv)
	body := []byte(`{"type":"Create","actor":"https://blog.example/ap/actor"}`)
	req, _ := http.NewRequest(http.MethodPost, "https://mastodon.example/inbox", bytes.NewReader(body))
	if err := signature.Sign(req, body, key, "https://blog.example/ap/actor#main-key", time.Now()); err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{}
	for k := range req.Header {
		headers[k] = req.Header.Get(k)
	}
	got := joyent(t, map[string]any{"mode": "verify", "method": "POST", "path": "/inbox", "headers": headers, "publicKey": pub})
	if got["ok"] != true || got["keyId"] != "https://blog.example/ap/actor#main-key" {
		t.Fatalf("joyent did not verify the blog's signature: %v", got)
	}
	if h, _ := got["headers"].([]any); len(h) != 4 || h[0] != "(request-target)" || h[3] != "digest" {
		t.Fatalf("signed headers: %v", got["headers"])
	}
	// Altered after signing: another path, another Date.
	got = joyent(t, map[string]any{"mode": "verify", "method": "POST", "path": "/users/x/inbox", "headers": headers, "publicKey": pub})
	if got["ok"] == true {
		t.Fatal("joyent verified a request sent to another path")
	}
	headers["Date"] = time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)
	got = joyent(t, map[string]any{"mode": "verify", "method": "POST", "path": "/inbox", "headers": headers, "publicKey": pub})
	if got["ok"] == true {
		t.Fatal("joyent verified a request with another Date")
	}

	// Signed by joyent, verified here.
	priv2, pub2 := testKey(t)
	signed := joyent(t, map[string]any{"mode": "sign", "method": "POST", "path": "/ap/inbox", "host": "blog.example",
		"body": string(body), "privateKey": priv2, "keyId": "https://mastodon.example/users/alice#main-key"})
	hs, _ := signed["headers"].(map[string]any)
	in, _ := http.NewRequest(http.MethodPost, "https://blog.example/ap/inbox", bytes.NewReader(body))
	for k, v := range hs {
		if k == "host" {
			in.Host = v.(string)
			continue
		}
		in.Header.Set(k, v.(string))
	}
	// joyent writes Authorization: Signature ...; Mastodon sends the same parameters in a Signature header.
	if a := in.Header.Get("Authorization"); strings.HasPrefix(a, "Signature ") {
		in.Header.Set("Signature", strings.TrimPrefix(a, "Signature "))
		in.Header.Del("Authorization")
	}
	pubKey, _ := signature.ParsePublicKey(pub2)
	if err := signature.Verify(in, body, pubKey, time.Now()); err != nil {
		t.Fatalf("joyent's signature did not verify here: %v (%v)", err, hs)
	}
	if err := signature.Verify(in, append(body, ' '), pubKey, time.Now()); err == nil {
		t.Fatal("a body that is not the digested one verified")
	}
	otherPub, _ := signature.ParsePublicKey(pub)
	if err := signature.Verify(in, body, otherPub, time.Now()); err == nil {
		t.Fatal("another key verified joyent's signature")
	}
}
