package owner

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB of memory, two passes, one lane).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length limits, counted in characters.
const (
	MinPassword = 12
	MaxPassword = 256
)

// hashing bounds how many Argon2id computations run at once: each holds 19 MiB, and sign-in attempts must not
// be able to make the server hold much more.
var hashing = make(chan struct{}, 2)

// CheckPassword returns a message when a new password is not acceptable, or "".
func CheckPassword(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return "The password contains bytes that are not valid text."
	case n < MinPassword:
		return fmt.Sprintf("Please choose a password of at least %d characters.", MinPassword)
	case n > MaxPassword:
		return fmt.Sprintf("A password can be at most %d characters.", MaxPassword)
	}
	return ""
}

// HashPassword returns the PHC-formatted Argon2id hash of pw with a new random salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	hashing <- struct{}{}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	<-hashing
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errBadHash means a stored hash is not one this program wrote.
var errBadHash = errors.New("stored password hash is not an Argon2id PHC string")

// VerifyPassword reports whether pw matches a hash written by HashPassword (with the parameters it records).
func VerifyPassword(pw, phc string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var mem, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &threads); err != nil || mem > 1<<20 || passes > 10 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, errBadHash
	}
	hashing <- struct{}{}
	got := argon2.IDKey([]byte(pw), salt, passes, mem, threads, uint32(len(want)))
	<-hashing
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
