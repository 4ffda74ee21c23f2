package admin

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
)

// PageOptions wire the status page.
type PageOptions struct {
	// Token returns admin.status_page_token of the running config: when
	// not empty, the page answers only "Authorization: Bearer <token>".
	Token func() string
	// Rates returns the last hour's per-minute counts to plot.
	Rates func() Rates
}

// Rates are per-minute counts over the last hour, oldest first; End is the
// start of the last (current) minute.
type Rates struct {
	End                         time.Time
	Accepted, Delivered, Failed []int64
}

const (
	pageDeadLetters = 20      // latest dead deliveries shown
	pageBodyMax     = 4 << 10 // bytes of a looked-up body shown
	pageQueryMax    = 256     // longest look-up accepted
	pageLookupIDs   = 10      // ids listed when a key names several messages
	pageSecurity    = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

//go:embed statuspage.html
var pageHTML string

var pageTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"when":  pageTime,
	"state": stateClass,
	"cut":   cutBody,
}).Parse(pageHTML))

// StatusPage is the read-only status page served at "/" of
// admin.metrics_listen: destinations, the last hour's rates as inline SVG,
// the latest dead letters and a look-up by message id. It has no form that
// posts and no link but to itself: nothing on it changes anything. Every
// value shown passes the same censoring as relayctl; html/template escapes
// it, and the Content-Security-Policy forbids scripts should anything slip.
func (s *Server) StatusPage(opts PageOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageSecurity)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if !pageAuthorized(r, opts.Token) {
			h.Set("WWW-Authenticate", `Bearer realm="relayd status"`)
			http.Error(w, "the status page needs Authorization: Bearer <admin.status_page_token>", http.StatusUnauthorized)
			return
		}
		var buf bytes.Buffer
		if err := pageTemplate.Execute(&buf, s.pageData(r, opts)); err != nil {
			s.logger.Error("render status page", "err", err)
			http.Error(w, "cannot render the status page", http.StatusInternalServerError)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	})
}

// pageAuthorized compares SHA-256 sums in constant time, so the time taken
// does not say how much of a token matched.
func pageAuthorized(r *http.Request, token func() string) bool {
	want := ""
	if token != nil {
		want = token()
	}
	if want == "" {
		return true
	}
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// pageData is what the template shows.
type pageData struct {
	Version, Uptime, Storage, Now string
	Destinations                  []client.Destination
	Plots                         []plot
	Dead                          []deadLetter
	DeadError                     string
	Query                         string
	Lookup                        *client.Message
	LookupError                   string
}

// deadLetter is one dead delivery with its last attempt, censored.
type deadLetter struct {
	ID, Route, Destination string
	ReceivedAt             time.Time
	Attempts               int
	Last                   client.Attempt
}

func (s *Server) pageData(r *http.Request, opts PageOptions) pageData {
	d := pageData{
		Version:      s.opts.Version,
		Uptime:       time.Since(s.opts.Started).Round(time.Second).String(),
		Storage:      humanBytes(s.opts.Store.Size()),
		Now:          pageTime(time.Now()),
		Destinations: s.destinationList().Destinations,
	}
	if opts.Rates != nil {
		d.Plots = ratePlots(opts.Rates())
	}
	var err error
	if d.Dead, err = s.deadLetters(); err != nil {
		s.logger.Error("status page: list dead letters", "err", err)
		d.DeadError = "cannot list dead letters: " + err.Error()
	}
	d.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	if d.Query != "" {
		d.Lookup, d.LookupError = s.lookup(d.Query)
	}
	return d
}

// deadLetters are the dead deliveries of the newest messages with one,
// rendered (censored) as relayctl show renders them.
func (s *Server) deadLetters() ([]deadLetter, error) {
	sums, err := s.opts.Store.List(queue.Filter{State: queue.StateDead, Limit: pageDeadLetters})
	if err != nil {
		return nil, err
	}
	paused, c := s.opts.Store.Paused(), s.censor()
	var out []deadLetter
	for _, sum := range sums {
		for _, qd := range sum.Deliveries {
			if qd.State != queue.StateDead || len(out) == pageDeadLetters {
				continue
			}
			rd := renderDelivery(qd, paused, c)
			dl := deadLetter{ID: sum.Message.ID, Route: sum.Message.Route, Destination: rd.Destination,
				ReceivedAt: sum.Message.ReceivedAt, Attempts: rd.AttemptCount}
			if n := len(rd.Attempts); n > 0 {
				dl.Last = rd.Attempts[n-1]
			}
			out = append(out, dl)
		}
	}
	return out, nil
}

// lookup finds a message by id, or by a business key (idempotency key,
// ordering key, tracing id) that names exactly one, and renders it exactly
// as relayctl show does (the same censoring code path).
func (s *Server) lookup(q string) (*client.Message, string) {
	if q == "" || len(q) > pageQueryMax {
		return nil, "not a message id or key: want 1 to 256 characters"
	}
	id := q
	if !client.ValidID(q) {
		var msg string
		if id, msg = s.lookupKey(q); msg != "" {
			return nil, msg
		}
	}
	m, err := s.message(id)
	if errors.Is(err, queue.ErrNotFound) {
		if id == q { // an id that names nothing may still be a key
			if kid, msg := s.lookupKey(q); msg == "" {
				if m, err = s.message(kid); err == nil {
					return m, ""
				}
			}
		}
		return nil, "no message " + q
	}
	if err != nil {
		s.logger.Error("status page: read message", "id", id, "err", err)
		return nil, "cannot read message " + id + ": " + err.Error()
	}
	return m, ""
}

// lookupKey resolves a business key to the one message it names, or says
// why not (none, or several: their ids, for the look-up to follow).
func (s *Server) lookupKey(key string) (string, string) {
	sums, err := s.opts.Store.List(queue.Filter{Key: key, Limit: pageLookupIDs + 1})
	if err != nil {
		s.logger.Error("status page: list messages by key", "err", err)
		return "", "cannot look the key up: " + err.Error()
	}
	switch len(sums) {
	case 0:
		return "", "no message with that id or key"
	case 1:
		return sums[0].Message.ID, ""
	}
	ids := make([]string, 0, len(sums))
	for _, sum := range sums[:min(len(sums), pageLookupIDs)] {
		ids = append(ids, sum.Message.ID)
	}
	if len(sums) > pageLookupIDs {
		ids = append(ids, "…")
	}
	return "", "that key names several messages (" + strings.Join(ids, ", ") + "); look one up by id"
}

// stateClass is the CSS class colouring a destination or delivery state.
func stateClass(state string) string {
	switch state {
	case "active", "delivered":
		return "ok"
	case "backing-off", "retrying", "pending", "delivering":
		return "warn"
	case "failing", "dead":
		return "bad"
	}
	return "off" // paused, disabled, removed
}

func pageTime(v any) string {
	switch t := v.(type) {
	case time.Time:
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	case *time.Time:
		if t == nil {
			return "—"
		}
		return pageTime(*t)
	}
	return fmt.Sprint(v)
}

// cutBody shows at most pageBodyMax bytes of a body (relayctl show has
// the rest), cut at a rune boundary.
func cutBody(m *client.Message) string {
	var b string
	switch {
	case m.Body != nil:
		b = *m.Body
	case m.BodyBase64 != "":
		b = "(base64) " + m.BodyBase64
	}
	if len(b) <= pageBodyMax {
		return b
	}
	cut := pageBodyMax
	for cut > 0 && !utf8RuneStart(b[cut]) {
		cut--
	}
	return b[:cut] + fmt.Sprintf("\n… %d more bytes: relayctl show %s", len(b)-cut, m.ID)
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
