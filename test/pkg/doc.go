// Package pkg tests the Debian package end to end: `make deb` builds it
// with nfpm, dpkg-deb reads its contents, modes, owners, conffiles and
// maintainer scripts, and dpkg installs it into a scratch root where the
// installed relayd checks the installed config and systemd-analyze
// verifies the installed unit.
package pkg
