package relay

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestClassify(t *testing.T) {
	onStatus := testDest("d", "").Retry.OnStatus
	cases := map[string]struct {
		res  attemptResult
		want verdict
	}{
		"200":                  {attemptResult{status: 200}, verdictDelivered},
		"204":                  {attemptResult{status: 204}, verdictDelivered},
		"299":                  {attemptResult{status: 299}, verdictDelivered},
		"400 dead":             {attemptResult{status: 400}, verdictDead},
		"404 dead":             {attemptResult{status: 404}, verdictDead},
		"408 retry":            {attemptResult{status: 408}, verdictRetry},
		"425 retry":            {attemptResult{status: 425}, verdictRetry},
		"429 retry":            {attemptResult{status: 429}, verdictRetry},
		"500 retry":            {attemptResult{status: 500}, verdictRetry},
		"599 retry":            {attemptResult{status: 599}, verdictRetry},
		"300 dead":             {attemptResult{status: 300}, verdictDead},
		"network error":        {attemptResult{err: errors.New("connection refused")}, verdictRetry},
		"timeout":              {attemptResult{err: fasthttp.ErrTimeout}, verdictRetry},
		"too many redirects":   {attemptResult{status: 307, err: errors.New("too many"), permanent: true}, verdictDead},
		"600 outside ranges":   {attemptResult{status: 600}, verdictDead},
		"199 not success":      {attemptResult{status: 199}, verdictDead},
		"301 without Location": {attemptResult{status: 301}, verdictDead},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := classify(tc.res, onStatus); got != tc.want {
				t.Errorf("classify = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestAttemptError(t *testing.T) {
	cases := map[string]struct {
		res  attemptResult
		want string
	}{
		"2xx is empty": {attemptResult{status: 201}, ""},
		"status":       {attemptResult{status: 503}, "HTTP 503 Service Unavailable"},
		"error":        {attemptResult{err: errors.New("dial tcp: refused")}, "dial tcp: refused"},
	}
	for name, tc := range cases {
		if got := attemptError(tc.res); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		status int
		value  string
		want   time.Duration
	}{
		"seconds on 503":     {503, "120", 2 * time.Minute},
		"seconds on 429":     {429, " 7 ", 7 * time.Second},
		"zero":               {503, "0", 0},
		"http-date":          {503, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		"rfc850 date":        {429, now.Add(time.Hour).Format("Monday, 02-Jan-06 15:04:05 GMT"), time.Hour},
		"date in the past":   {503, now.Add(-time.Hour).Format(http.TimeFormat), 0},
		"absent":             {503, "", -1},
		"garbage":            {503, "soon", -1},
		"negative":           {503, "-5", -1},
		"ignored on 500":     {500, "120", -1},
		"ignored on 200":     {200, "120", -1},
		"fractional ignored": {503, "1.5", -1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := retryAfter(tc.status, []byte(tc.value), now); got != tc.want {
				t.Errorf("retryAfter(%d, %q) = %v, want %v", tc.status, tc.value, got, tc.want)
			}
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{"120", "0", "Wed, 21 Oct 2015 07:28:00 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994", "", "-1", "99999999999999999999", "1e3"} {
		f.Add(seed)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, v string) {
		if d := parseRetryAfter(v, now); d < -1 {
			t.Fatalf("parseRetryAfter(%q) = %v: negative wait", v, d)
		}
	})
}

func TestRetryAfterHonouredEndToEnd(t *testing.T) {
	date := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	cases := map[string]struct {
		header  string
		wantMin time.Duration
		wantMax time.Duration
	}{
		"seconds below the cap": {"20", 19 * time.Second, 21 * time.Second},
		"seconds capped":        {"86400", 30 * time.Minute, 30 * time.Minute},
		"date capped":           {date, 30 * time.Minute, 30 * time.Minute},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSink(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Retry-After", tc.header)
				w.WriteHeader(503)
			})
			d := testDest("d", s.URL)
			d.Retry.MaxInterval, d.Retry.MaxElapsed = 30*time.Minute, 24*time.Hour
			res := sendOnce(t, d, eqCallback(), 1)
			now := time.Now()
			next, dead, _ := schedule(d.Retry, now, 1, now, res.retryAfter)
			if dead {
				t.Fatal("scheduled dead")
			}
			if wait := next.Sub(now); wait < tc.wantMin || wait > tc.wantMax {
				t.Errorf("next attempt in %v, want [%v, %v]", wait, tc.wantMin, tc.wantMax)
			}
		})
	}
}
