// Package daemon is relayd's composition root: it opens the queue, starts
// the relay, the ingress listener and the admin socket in that order, swaps
// routes and destinations on Reload, and shuts down in reverse order.
//
// Signals, flags, logging setup and systemd notification belong to the main
// in cli/relayd; daemon never calls os.Exit.
package daemon
