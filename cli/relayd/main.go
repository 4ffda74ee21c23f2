// Command relayd is the relay daemon: it persists every inbound callback
// before answering and delivers it downstream with retries.
//
// This main owns only process concerns: flags, the logger, signals and
// systemd notification. Everything else is package daemon.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/urfave/cli/v2"
)

// version is set by the Makefile (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	app := &cli.App{
		Name:    "relayd",
		Usage:   "durable callback relay: persist, then deliver with retries",
		Version: version,
		Flags:   []cli.Flag{configFlag, logFlag, logFormatFlag},
		// run is also the default command.
		Action:          runAction,
		HideHelpCommand: true,
		Commands: []*cli.Command{
			{Name: "run", Usage: "run the daemon", Flags: []cli.Flag{configFlag, logFlag, logFormatFlag}, Action: runAction},
			{Name: "check", Usage: "validate the config file; print every problem with its YAML path",
				Flags: []cli.Flag{configFlag}, Action: checkAction},
			{Name: "version", Usage: "print the version", Action: func(c *cli.Context) error {
				fmt.Fprintln(c.App.Writer, "relayd", version)
				return nil
			}},
		},
		ExitErrHandler: func(*cli.Context, error) {}, // main decides the exit code
	}
	app.Commands = append(app.Commands, manCommand())
	if err := app.Run(os.Args); err != nil {
		// An empty message is a command that has printed its own report
		// (check's list of problems): no bare "relayd: " line after it.
		if msg := err.Error(); msg != "" {
			// Under systemd it is an error line like the logger's: journalctl
			// -p err shows why relayd did not start.
			if journalStream(os.Stderr) {
				fmt.Fprint(os.Stderr, syslogPriority(slog.LevelError))
			}
			fmt.Fprintln(os.Stderr, "relayd:", msg)
		}
		os.Exit(1)
	}
}
