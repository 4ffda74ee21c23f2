package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Errors Verify returns; callers answer 401 for all of them.
var (
	ErrMissingHeaders = errors.New("webhook-id, webhook-timestamp and webhook-signature are required")
	ErrTimestamp      = errors.New("webhook-timestamp is invalid or outside the tolerance")
	ErrNoMatch        = errors.New("no webhook-signature matches")
)

const secretPrefix = "whsec_"

// DecodeSecret returns the HMAC key of a "whsec_<base64>" secret.
func DecodeSecret(secret string) ([]byte, error) {
	b64 := strings.TrimPrefix(secret, secretPrefix)
	if b64 == secret {
		return nil, fmt.Errorf("signing secret must start with %q", secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("signing secret after %q is not valid base64", secretPrefix)
	}
	return key, nil
}

// Sign returns the webhook-signature header value ("v1,<base64>") of body
// sent as message msgID at ts.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := DecodeSecret(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, msgID, ts.Unix(), body)), nil
}

// SignAll returns the webhook-signature header value with one signature
// per secret, space separated ("v1,<sig1> v1,<sig2>"), so a receiver that
// knows any one of the secrets verifies it while a secret is rotated.
func SignAll(secrets []string, msgID string, ts time.Time, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", errors.New("no signing secret")
	}
	sigs := make([]string, 0, len(secrets))
	for i, secret := range secrets {
		sig, err := Sign(secret, msgID, ts, body)
		if err != nil {
			return "", fmt.Errorf("signing secret %d: %w", i+1, err)
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// Verify checks the three Standard Webhooks headers against body with one
// secret: NewVerifier([]string{secret}, tolerance).Verify(...).
func Verify(secret, msgID, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	v, err := NewVerifier([]string{secret}, tolerance)
	if err != nil {
		return err
	}
	return v.Verify(msgID, timestamp, signature, body, now)
}

// Verifier checks inbound signatures against several secrets (rotation):
// a request passes when one of its signatures was made with any one of
// them.
type Verifier struct {
	keys      [][]byte
	tolerance time.Duration
}

// NewVerifier decodes every secret ("whsec_<base64>"); at least one is
// required. A timestamp must be less than tolerance away from now.
func NewVerifier(secrets []string, tolerance time.Duration) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, errors.New("no verification secret")
	}
	v := &Verifier{tolerance: tolerance}
	for i, s := range secrets {
		key, err := DecodeSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i+1, err)
		}
		v.keys = append(v.keys, key)
	}
	return v, nil
}

// Verify checks the webhook-id, webhook-timestamp and webhook-signature
// header values against body. signature may hold several space-separated
// "<version>,<base64>" values; only v1 ones count and one match with any
// key is enough. The timestamp must be less than the tolerance from now:
// a signature exactly the tolerance old is refused, so a replay window is
// never wider than configured.
func (v *Verifier) Verify(msgID, timestamp, signature string, body []byte, now time.Time) error {
	if msgID == "" || timestamp == "" || signature == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if d := now.Sub(time.Unix(ts, 0)); d >= v.tolerance || d <= -v.tolerance {
		return ErrTimestamp
	}
	var sigs [][]byte
	for _, sig := range strings.Fields(signature) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		if got, err := base64.StdEncoding.DecodeString(b64); err == nil {
			sigs = append(sigs, got)
		}
	}
	if len(sigs) == 0 {
		return ErrNoMatch
	}
	// Every key against every signature, without stopping at a match:
	// the time taken does not say which secret is the current one.
	match := 0
	for _, key := range v.keys {
		want := mac(key, msgID, ts, body)
		for _, got := range sigs {
			match |= subtle.ConstantTimeCompare(got, want)
		}
	}
	if match != 1 {
		return ErrNoMatch
	}
	return nil
}

func mac(key []byte, msgID string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, ts, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
