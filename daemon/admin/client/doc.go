// Package client holds the admin API's wire types and the client relayctl
// uses to talk to relayd over its unix socket.
//
// It imports only the standard library, nothing of relayd's, so that the
// relayctl binary stays small and the wire format is one shared definition:
// the server in package admin renders these same types.
package client
