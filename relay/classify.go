package relay

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// verdict is what an attempt's result means before the schedule is asked.
type verdict int

const (
	verdictDelivered verdict = iota // 2xx
	verdictRetry                    // network error, timeout, status in on_status
	verdictDead                     // any other status, or a refused redirect
)

// classify decides an attempt's verdict: 2xx delivered, a status in
// onStatus or a transport error retried, anything else dead at once.
func classify(res attemptResult, onStatus []StatusRange) verdict {
	if res.err != nil {
		if res.permanent {
			return verdictDead
		}
		return verdictRetry
	}
	if res.status >= 200 && res.status < 300 {
		return verdictDelivered
	}
	for _, r := range onStatus {
		if res.status >= r.Lo && res.status <= r.Hi {
			return verdictRetry
		}
	}
	return verdictDead
}

// attemptError is the error text recorded for an attempt: empty on a 2xx.
func attemptError(res attemptResult) string {
	if res.err != nil {
		return res.err.Error()
	}
	if res.status >= 200 && res.status < 300 {
		return ""
	}
	return "HTTP " + strconv.Itoa(res.status) + " " + fasthttp.StatusMessage(res.status)
}

// retryAfter returns the wait a 429 or 503 asks for in its Retry-After
// header (delta-seconds or an HTTP-date, RFC 9110 section 10.2.3), and -1
// when there is none or it cannot be read. A date in the past means now.
func retryAfter(status int, value []byte, now time.Time) time.Duration {
	if status != fasthttp.StatusTooManyRequests && status != fasthttp.StatusServiceUnavailable {
		return -1
	}
	return parseRetryAfter(strings.TrimSpace(string(value)), now)
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return -1
	}
	return max(at.Sub(now), 0)
}
