// Package configs holds relayd's example configurations. relayd.example.yaml
// is embedded as Example: it is what `make run` uses and relayd's built-in
// default when no config file exists. examples/ holds one production
// config per sender (SolusVM 2, eq_callback workers, anynines) to copy to
// /etc/relayd/relayd.yaml. configs_test.go validates every file here and in
// examples/ so that none of them drifts from the config schema;
// test/e2e runs the SolusVM example end to end.
package configs

import _ "embed"

// Example is relayd.example.yaml: a development config whose destinations
// are all on 127.0.0.1.
//
//go:embed relayd.example.yaml
var Example []byte

// Production is relayd.production.yaml: the reference of every key with
// production-looking values. relayd renders it into relayd.yaml(5).
//
//go:embed relayd.production.yaml
var Production []byte
