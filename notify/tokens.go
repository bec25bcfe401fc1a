package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Tokens signs the links in messages: a confirmation link (valid for ConfirmFor) and an unsubscribe link (valid
// for good), each naming the address it is for. Nothing is stored: the signature is the proof.
type Tokens struct{ Key []byte }

// ConfirmFor is how long a confirmation link works.
const ConfirmFor = 7 * 24 * time.Hour

// The purposes a token is made for; a token of one is worthless for the other.
const (
	PurposeConfirm     = "confirm"
	PurposeUnsubscribe = "unsubscribe"
)

// ErrBadToken is a link that was changed, cut, made for something else, or has expired.
var ErrBadToken = errors.New("this link is not valid: it may have been cut or changed, or it has expired")

// Make returns a token for purpose and email, valid until exp (zero: for good).
func (t Tokens) Make(purpose, email string, exp time.Time) string {
	var x int64
	if !exp.IsZero() {
		x = exp.Unix()
	}
	e := base64.RawURLEncoding.EncodeToString([]byte(email))
	return e + "." + strconv.FormatInt(x, 10) + "." + t.sign(purpose, email, x)
}

func (t Tokens) sign(purpose, email string, exp int64) string {
	m := hmac.New(sha256.New, t.Key)
	m.Write([]byte(purpose + "\n" + email + "\n" + strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Check returns the address a token of this purpose was made for.
func (t Tokens) Check(purpose, token string, now time.Time) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(token) > 600 {
		return "", ErrBadToken
	}
	email, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", ErrBadToken
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || exp < 0 {
		return "", ErrBadToken
	}
	if !hmac.Equal([]byte(parts[2]), []byte(t.sign(purpose, string(email), exp))) {
		return "", ErrBadToken
	}
	if exp != 0 && now.Unix() > exp {
		return "", ErrBadToken
	}
	return string(email), nil
}
