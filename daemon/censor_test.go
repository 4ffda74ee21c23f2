package daemon

import (
	"slices"
	"testing"

	"github.com/relayd/relayd/daemon/config"
)

func TestCensorRulesFromConfig(t *testing.T) {
	cfg := &config.Config{
		Server: config.Server{CensorFields: []string{"card"}, StatusToken: "st-canary"},
		Routes: []config.Route{
			{Name: "q", Auth: &config.Auth{Token: &config.TokenAuth{Query: "secret", Value: "tok-canary"}}},
			{Name: "h", Auth: &config.Auth{
				Token:            &config.TokenAuth{Header: "X-Token", Values: []string{"tok-old"}},
				HMAC:             &config.HMACAuth{Header: "X-Sig", Secret: "hmac-canary"},
				StandardWebhooks: &config.StandardWebhooks{Secret: "whsec_c2VjcmV0"},
			}},
			{Name: "open"},
		},
	}
	r := censorRules(cfg)
	for _, n := range []string{"secret", "X-Token", "X-Sig", "webhook-signature"} {
		if !slices.Contains(r.Names, n) {
			t.Errorf("auth name %q not censored: %v", n, r.Names)
		}
	}
	for _, s := range []string{"st-canary", "tok-canary", "tok-old", "hmac-canary", "whsec_c2VjcmV0"} {
		if !slices.Contains(r.Secrets, s) {
			t.Errorf("secret %q not censored", s)
		}
	}
	if !slices.Equal(r.Fields, []string{"card"}) {
		t.Errorf("fields: %v", r.Fields)
	}
}
