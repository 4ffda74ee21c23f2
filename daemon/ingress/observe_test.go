package ingress

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relayd/relayd/daemon/config"
)

// Options.Observe hears every answer once with the route that took it, the
// status and a duration (0 for a request fasthttp could not read, which
// has no receipt time): accepted, rejected by a route, unrouted, and
// refused by fasthttp before the handler ran.
func TestObserveHearsEveryAnswer(t *testing.T) {
	var mu sync.Mutex
	var heard []string
	observe := func(route string, status int, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if took < 0 || took > time.Minute || (took == 0) != (status == 413) {
			route += fmt.Sprintf("(took %v)", took)
		}
		heard = append(heard, fmt.Sprintf("%s/%d", route, status))
	}
	cfg := testConfig(config.Route{Name: "r", Path: "/cb", Methods: []string{"POST"}, Destinations: []string{"d"}})
	cfg.Server.MaxBodySize = 1000
	ts := startServer(t, cfg, Options{Observe: observe})

	ts.call(t, "POST", "/cb", "text/plain", []byte("hello"))
	ts.call(t, "GET", "/cb", "", nil)
	ts.call(t, "POST", "/nowhere", "text/plain", []byte("hello"))
	rawPost(t, strings.TrimPrefix(ts.url, "http://"), "/cb", 1001)
	want := []string{"r/202", "/405", "/404", "/413"}
	waitFor(t, "four answers heard", func() bool { mu.Lock(); defer mu.Unlock(); return len(heard) == len(want) })
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(heard, want) {
		t.Fatalf("heard %v, want %v", heard, want)
	}
}
