// Package webhooksig signs and verifies Standard Webhooks signatures
// (https://www.standardwebhooks.com): HMAC-SHA256 over "id.timestamp.body"
// with a "whsec_"-prefixed base64 secret, carried as "v1,<base64>".
//
// relay signs outgoing deliveries with it (Sign); ingress verifies inbound
// ones with a Verifier, which accepts any of several secrets so that a
// sender's secret can be rotated. A timestamp must be less than the
// tolerance from now; a signature header may list several signatures, of
// which only v1 ones count.
//
// It imports nothing of relayd's. It lives under daemon/ rather than
// relay/ so that ingress imports nothing under relay/; being a leaf, it is
// the one package under daemon/ that relay may import (daemon/imports_test.go).
package webhooksig
