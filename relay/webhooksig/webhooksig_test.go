package webhooksig

import (
	"errors"
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
