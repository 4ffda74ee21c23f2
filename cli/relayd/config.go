package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/relayd/relayd/configs"
	"github.com/relayd/relayd/daemon/config"
	"github.com/urfave/cli/v2"
)

const defaultConfigPath = "/etc/relayd/relayd.yaml"

var configFlag = &cli.StringFlag{
	Name:    "config",
	Aliases: []string{"c"},
	Usage:   "config file (when not given and " + defaultConfigPath + " does not exist, the embedded default is used)",
	EnvVars: []string{"RELAYD_CONFIG"},
}

// configSource returns a loader for the config relayd should run on: the
// --config file; else the default path; else the embedded example (a
// developer's first `relayd run`). A --config that is missing is an error,
// never a silent fallback.
func configSource(c *cli.Context) (load func() (*config.Config, error), name string, err error) {
	path := c.String("config")
	if path == "" {
		path = defaultConfigPath
		if _, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
			return func() (*config.Config, error) {
				return config.Parse(configs.Example, "embedded default")
			}, "embedded default", nil
		}
	}
	if _, err := os.Stat(path); err != nil {
		return nil, path, fmt.Errorf("config file: %w", err)
	}
	return func() (*config.Config, error) { return config.Load(path) }, path, nil
}

func checkAction(c *cli.Context) error {
	load, name, err := configSource(c)
	if err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		// Every problem, one a line in the order of the file, then exit 1
		// with nothing more to say (main prints no "relayd: " line).
		var ps *config.Problems
		if errors.As(err, &ps) {
			fmt.Fprintf(c.App.ErrWriter, "%s: invalid (%d %s)\n%v\n", name, len(*ps), plural(len(*ps), "problem"), err)
		} else {
			fmt.Fprintf(c.App.ErrWriter, "%s: invalid\n%v\n", name, err)
		}
		return cli.Exit("", 1)
	}
	fmt.Fprintf(c.App.Writer, "%s: OK (%d routes, %d destinations)\n", name, len(cfg.Routes), len(cfg.Destinations))
	return nil
}

// plural is noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
