// Package webhooksig signs and verifies Standard Webhooks signatures
// (https://www.standardwebhooks.com): HMAC-SHA256 over "id.timestamp.body"
// with a "whsec_"-prefixed base64 secret, carried as "v1,<base64>".
//
// relay signs outgoing deliveries with it; ingress verifies inbound ones.
// It imports nothing of relayd's.
package webhooksig
