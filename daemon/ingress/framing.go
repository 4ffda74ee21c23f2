package ingress

import "bytes"

var (
	contentLengthName    = []byte("Content-Length")
	transferEncodingName = []byte("Transfer-Encoding")
)

// conflictingFraming reports whether a raw header block carries both
// Content-Length and Transfer-Encoding. fasthttp reads such a request by
// Transfer-Encoding (and drops Content-Length from the parsed headers), but
// a proxy in front may have framed it by Content-Length: the two then
// disagree on where the next request starts (request smuggling, RFC 9112
// section 6.1). relayd refuses it rather than pick one.
func conflictingFraming(raw []byte) bool {
	var length, encoding bool
	sc := headerLines{b: raw}
	for k, _, ok := sc.next(); ok; k, _, ok = sc.next() {
		switch {
		case bytes.EqualFold(k, contentLengthName):
			length = true
		case bytes.EqualFold(k, transferEncodingName):
			encoding = true
		}
	}
	return length && encoding
}
