// Package passkeytest is a software passkey for tests: it answers the blog's WebAuthn registration and sign-in
// options as a browser and its authenticator would (attestation "none", ES256), so that tests can sign in with
// a passkey through the real router without a browser, and can send what a browser never would: an answer
// twice, a counter that goes backwards.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Authenticator is one passkey on one device.
type Authenticator struct {
	// Origin is the page's origin the browser reports (http://blog.test).
	Origin string
	// SignCount is the signature counter the next answer reports; 0 means the authenticator keeps none, as
	// synced passkeys do.
	SignCount uint32

	key        *ecdsa.PrivateKey
	id         []byte
	userHandle []byte
}

// New returns an authenticator for pages of origin, with a new key.
func New(origin string) *Authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &Authenticator{Origin: origin, key: key, id: id}
}

var b64 = base64.RawURLEncoding

// Flags of authenticator data (WebAuthn §6.1): user present, user verified, attested credential data included.
const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

// Register answers the options of a registration (the JSON the server's begin sent) with a new credential.
func (a *Authenticator) Register(options []byte) ([]byte, error) {
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RP        struct {
				ID string `json:"id"`
			} `json:"rp"`
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &opts); err != nil {
		return nil, err
	}
	handle, err := b64.DecodeString(opts.PublicKey.User.ID)
	if err != nil || opts.PublicKey.Challenge == "" || opts.PublicKey.RP.ID == "" {
		return nil, errors.New("passkeytest: registration options without a challenge, relying party or user")
	}
	a.userHandle = handle
	pub, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         1, // P-256
		XCoord:        a.key.X.FillBytes(make([]byte, 32)),
		YCoord:        a.key.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		return nil, err
	}
	auth := a.authData(opts.PublicKey.RP.ID, flagUP|flagUV|flagAT)
	auth = append(auth, make([]byte, 16)...) // AAGUID: none
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(a.id)))
	auth = append(auth, a.id...)
	auth = append(auth, pub...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", opts.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
}

// Assert answers the options of a sign-in with a signature of this authenticator's, reporting SignCount.
func (a *Authenticator) Assert(options []byte) ([]byte, error) {
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RPID      string `json:"rpId"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &opts); err != nil {
		return nil, err
	}
	if opts.PublicKey.Challenge == "" || opts.PublicKey.RPID == "" || a.userHandle == nil {
		return nil, errors.New("passkeytest: sign-in options without a challenge or relying party, or no passkey registered")
	}
	auth := a.authData(opts.PublicKey.RPID, flagUP|flagUV)
	client := a.clientData("webauthn.get", opts.PublicKey.Challenge)
	clientHash := sha256.Sum256(client)
	digest := sha256.Sum256(append(append([]byte{}, auth...), clientHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(client),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.userHandle),
		},
		"clientExtensionResults": map[string]any{},
	})
}

// authData is the start of the authenticator data: the relying party's hash, the flags and the counter.
func (a *Authenticator) authData(rpID string, flags byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, a.SignCount)
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}
