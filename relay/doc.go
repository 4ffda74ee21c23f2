// Package relay owns delivery: per destination a dispatcher and a pool of
// workers that lease due deliveries from the queue, the HTTP sender (its own
// fasthttp client and TLS config per destination, redirects followed by
// relay itself), retry classification, the backoff schedule whose next
// attempt time is written back to the queue, rate limits, the probe mode of
// a failing destination, signing, and the stream of delivery events.
//
// relay imports queue and nothing else of relayd's; the daemon converts its
// config into Destination values.
package relay
