// Package daemon is relayd's composition root: it opens the queue, starts
// the relay, the ingress listener and the admin socket in that order, and
// shuts down in reverse order. Reload builds the new destinations
// (relay.Build) and routes (ingress.Compile) first and swaps both only when
// both built, so a refused reload changes and restarts nothing.
//
// Signals, flags, logging setup and systemd notification belong to the main
// in cli/relayd; daemon never calls os.Exit.
package daemon
