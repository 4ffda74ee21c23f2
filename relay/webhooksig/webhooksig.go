package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
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

// Verify checks the three Standard Webhooks headers against body. signature
// may hold several space-separated "v1,<base64>" values (key rotation); one
// match is enough. The timestamp must be within tolerance of now.
func Verify(secret, msgID, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if msgID == "" || timestamp == "" || signature == "" {
		return ErrMissingHeaders
	}
	key, err := DecodeSecret(secret)
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	want := mac(key, msgID, ts, body)
	for _, sig := range strings.Fields(signature) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatch
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
