package webhooksig

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// The published Standard Webhooks test vector.
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesPublishedVector(t *testing.T) {
	got, err := Sign(vecSecret, vecID, time.Unix(vecTS, 0), []byte(vecBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vecSig {
		t.Fatalf("Sign = %q, want %q", got, vecSig)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(vecTS, 0)
	cases := []struct {
		name      string
		secret    string
		id, ts    string
		sig, body string
		now       time.Time
		want      error
	}{
		{"valid", vecSecret, vecID, "1614265330", vecSig, vecBody, now, nil},
		{"rotated keys, second matches", vecSecret, vecID, "1614265330", "v1,AAAA " + vecSig, vecBody, now, nil},
		{"tampered body", vecSecret, vecID, "1614265330", vecSig, vecBody + " ", now, ErrNoMatch},
		{"other id", vecSecret, "msg_x", "1614265330", vecSig, vecBody, now, ErrNoMatch},
		{"wrong version", vecSecret, vecID, "1614265330", "v2" + vecSig[2:], vecBody, now, ErrNoMatch},
		{"too old", vecSecret, vecID, "1614265330", vecSig, vecBody, now.Add(6 * time.Minute), ErrTimestamp},
		{"in the future", vecSecret, vecID, "1614265330", vecSig, vecBody, now.Add(-6 * time.Minute), ErrTimestamp},
		{"exactly the tolerance old", vecSecret, vecID, "1614265330", vecSig, vecBody, now.Add(5 * time.Minute), ErrTimestamp},
		{"just inside the tolerance old", vecSecret, vecID, "1614265330", vecSig, vecBody, now.Add(5*time.Minute - time.Second), nil},
		{"tolerance + 1s in the future", vecSecret, vecID, "1614265330", vecSig, vecBody, now.Add(-5*time.Minute - time.Second), ErrTimestamp},
		{"just inside the tolerance ahead", vecSecret, vecID, "1614265330", vecSig, vecBody, now.Add(-5*time.Minute + time.Second), nil},
		{"v1a and a wrong v1 beside the valid v1", vecSecret, vecID, "1614265330",
			"v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,bm90IHRoZSBzaWduYXR1cmUgYXQgYWxsISEhISEhISE= " + vecSig, vecBody, now, nil},
		{"only other versions", vecSecret, vecID, "1614265330",
			"v1a," + vecSig[3:] + " v2," + vecSig[3:] + " " + vecSig[3:], vecBody, now, ErrNoMatch},
		{"v1 without comma", vecSecret, vecID, "1614265330", "v1" + vecSig[3:], vecBody, now, ErrNoMatch},
		{"signature not base64", vecSecret, vecID, "1614265330", "v1,***", vecBody, now, ErrNoMatch},
		{"bad timestamp", vecSecret, vecID, "soon", vecSig, vecBody, now, ErrTimestamp},
		{"missing signature", vecSecret, vecID, "1614265330", "", vecBody, now, ErrMissingHeaders},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.secret, c.id, c.ts, c.sig, []byte(c.body), c.now, 5*time.Minute)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestVerifierSeveralSecrets(t *testing.T) {
	now := time.Unix(vecTS, 0)
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("an older secret, being rotated out"))
	cases := []struct {
		name    string
		secrets []string
		want    error
	}{
		{"matching secret last", []string{other, vecSecret}, nil},
		{"matching secret first", []string{vecSecret, other}, nil},
		{"no secret matches", []string{other}, ErrNoMatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := NewVerifier(c.secrets, 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(vecID, "1614265330", vecSig, []byte(vecBody), now); !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestNewVerifierRejects(t *testing.T) {
	for name, secrets := range map[string][]string{
		"none":         nil,
		"one bad":      {vecSecret, "whsec_!!!"},
		"no prefix":    {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		"empty string": {""},
	} {
		if _, err := NewVerifier(secrets, time.Minute); err == nil {
			t.Errorf("%s: NewVerifier(%q) accepted", name, secrets)
		} else if strings.Contains(err.Error(), "MfKQ9r8G") {
			t.Errorf("%s: error %q shows the secret", name, err)
		}
	}
}

func TestDecodeSecretRejects(t *testing.T) {
	for _, s := range []string{"", "secret", "whsec_", "whsec_!!!"} {
		if _, err := DecodeSecret(s); err == nil {
			t.Errorf("DecodeSecret(%q) accepted", s)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(vecSecret, vecID, "1614265330", vecSig, []byte(vecBody))
	f.Add("whsec_", "", "-1", "v1,", []byte{})
	f.Fuzz(func(t *testing.T, secret, id, ts, sig string, body []byte) {
		now := time.Unix(vecTS, 0)
		_ = Verify(secret, id, ts, sig, body, now, 5*time.Minute)
		// A signature made by Sign must always verify.
		if _, err := DecodeSecret(secret); err != nil || id == "" {
			return
		}
		s, err := Sign(secret, id, now, body)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if err := Verify(secret, id, "1614265330", s, body, now, time.Minute); err != nil {
			t.Fatalf("Verify(Sign()) = %v", err)
		}
	})
}
