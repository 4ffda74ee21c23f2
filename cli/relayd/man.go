package main

import (
	"fmt"
	"strings"

	"github.com/relayd/relayd/configs"
	"github.com/urfave/cli/v2"
)

// manCommand prints relayd.8 (from the command definitions, like --help)
// or relayd.yaml.5 (from the production reference config): `make man`
// runs it, so the installed pages cannot drift from the binary.
func manCommand() *cli.Command {
	return &cli.Command{
		Name:      "man",
		Usage:     "print a man page (roff): relayd.8 or relayd.yaml.5",
		ArgsUsage: "[relayd.8|relayd.yaml.5]",
		Hidden:    true,
		Action: func(c *cli.Context) error {
			var page string
			switch c.Args().First() {
			case "", "relayd.8":
				p, err := c.App.ToManWithSection(8)
				if err != nil {
					return fmt.Errorf("write relayd.8: %w", err)
				}
				page = p
			case "relayd.yaml.5":
				page = configManPage(string(configs.Production))
			default:
				return fmt.Errorf("man %q: want relayd.8 or relayd.yaml.5", c.Args().First())
			}
			_, err := fmt.Fprint(c.App.Writer, page)
			return err
		},
	}
}

// configManPage is relayd.yaml(5): how the file is read, then the
// reference config verbatim; its comments are the key reference, kept
// true by configs_test.go, which loads it.
func configManPage(reference string) string {
	var b strings.Builder
	b.WriteString(`.TH RELAYD.YAML 5 "" "relayd" "File Formats"
.SH NAME
relayd.yaml \- relayd configuration file
.SH SYNOPSIS
/etc/relayd/relayd.yaml
.SH DESCRIPTION
relayd reads one YAML file: \fBrelayd run \-\-config\fR \fIFILE\fR (default /etc/relayd/relayd.yaml).
Unknown keys are errors.
\fBrelayd check \-\-config\fR \fIFILE\fR prints every problem with its YAML path;
\fBrelayctl reload\fR (or SIGHUP) applies a changed file, and a refused file changes nothing.
.PP
\fB${VAR}\fR is replaced by the environment variable VAR (under systemd, from /etc/relayd/relayd.env);
an unset variable without a default (\fB${VAR:\-default}\fR) stops relayd from starting.
\fB${file:/path}\fR reads a file and \fB${cred:NAME}\fR a systemd credential (LoadCredential=);
one trailing newline is dropped, and a reload reads them again.
Secrets belong there, never in this file.
.SH REFERENCE
Every key, with production-looking values; the comments say what each does.
.PP
.nf
`)
	for _, line := range strings.Split(strings.TrimRight(reference, "\n"), "\n") {
		b.WriteString(roffLiteral(line))
		b.WriteByte('\n')
	}
	b.WriteString(`.fi
.SH FILES
.TP
/etc/relayd/relayd.yaml
the configuration (root:relayd 0640)
.TP
/etc/relayd/relayd.env
environment for ${VAR} (root 0600, read by systemd)
.TP
/usr/share/doc/relayd/examples/
this reference and the other example configs
.SH SEE ALSO
relayd(8), relayctl(1)
`)
	return b.String()
}

// roffLiteral escapes one line for a .nf block: a backslash is roff's
// escape, and a line starting with . or ' would be read as a request.
func roffLiteral(line string) string {
	line = strings.ReplaceAll(line, `\`, `\e`)
	if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
		line = `\&` + line
	}
	return line
}
