// Command relayctl is relayd's operator CLI: it talks to the daemon's admin
// socket (status, destinations, pause/resume, ls, show, replay, purge,
// tail, reload) and checks config files offline.
//
// main only wires the process (signals, stdout, exit code); each command
// group lives in its own file and returns errors, never exits.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set by the Makefile (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	// Interrupting tail is its normal end: the context is cancelled and
	// relayctl exits 0.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var terminal io.Reader
	if isTerminal(os.Stdin) {
		terminal = os.Stdin
	}
	code := runOn(ctx, os.Args, terminal, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
