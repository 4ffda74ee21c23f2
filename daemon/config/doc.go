// Package config owns relayd's configuration file: the Config tree with its
// YAML tags, strict loading (an unknown key is an error), ${VAR},
// ${file:PATH} and ${cred:NAME} expansion, the defaults (applied in one
// place, defaults.go: relay and the daemon take a loaded Config as given and
// supply none) and Validate, which returns every problem with its YAML
// path.
//
// Loading goes: parse YAML into nodes (load.go) → decode the nodes into the
// Config tree strictly, expanding ${...} in scalar values on the way
// (decode.go, env.go) → ApplyDefaults (defaults.go) → Validate
// (validate.go, validate_route.go). Every step that can find several
// problems reports them all as *Problems, each located by path and line;
// Validate runs even when decoding found problems, on what did decode, so
// one Parse returns both kinds, sorted by line. It skips the paths that
// failed to decode (their consequences would mislead) and reports a bad
// defaults value once, at defaults.…, not at each destination inheriting it.
// No problem shows a value that came from ${...} or sits in a key that can
// hold a credential (secrets.go names those keys).
//
// It imports nothing of relayd's, so both binaries (and relayctl's offline
// `config check`) can use it.
package config
