package admin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
)

// shownState is a delivery's state as operators see it: pending and
// retrying deliveries of a paused destination are "paused".
func shownState(d *queue.Delivery, paused map[string]bool) string {
	if paused[d.Destination] && (d.State == queue.StatePending || d.State == queue.StateRetrying) {
		return string(queue.StatePaused)
	}
	return string(d.State)
}

// renderMessage builds the censored view of a message and its deliveries.
func renderMessage(m *queue.Message, ds []*queue.Delivery, paused map[string]bool, c censor) client.Message {
	out := client.Message{
		ID:             m.ID,
		Route:          m.Route,
		ReceivedAt:     m.ReceivedAt.UTC(),
		Method:         m.Method,
		Path:           c.text(m.Path),
		Query:          c.query(m.Query),
		Headers:        map[string]string{},
		TracingID:      c.text(m.TracingID),
		IdempotencyKey: c.text(m.IdempotencyKey),
		OrderingKey:    c.text(m.OrderingKey),
		RemoteAddr:     m.RemoteAddr,
		Deliveries:     make([]client.Delivery, 0, len(ds)),
	}
	contentType := ""
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, "Content-Type") {
			contentType = h.Value
		}
		name, v := c.text(h.Name), c.header(h.Name, h.Value)
		if prev, ok := out.Headers[name]; ok {
			v = prev + ", " + v
		}
		out.Headers[name] = v
	}
	body := c.body(contentType, m.Body)
	if utf8.Valid(body) {
		s := string(body)
		out.Body = &s
	} else {
		out.BodyBase64 = base64.StdEncoding.EncodeToString(body)
	}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, renderDelivery(d, paused, c))
	}
	return out
}

func renderDelivery(d *queue.Delivery, paused map[string]bool, c censor) client.Delivery {
	out := client.Delivery{
		Destination:  d.Destination,
		State:        shownState(d, paused),
		AttemptCount: d.AttemptCount,
		Attempts:     make([]client.Attempt, 0, len(d.Attempts)),
	}
	if out.AttemptCount < len(d.Attempts) {
		out.AttemptCount = len(d.Attempts)
	}
	if !d.NextAttemptAt.IsZero() && !d.State.Terminal() {
		t := d.NextAttemptAt.UTC()
		out.NextAttemptAt = &t
	}
	for _, a := range d.Attempts {
		out.Attempts = append(out.Attempts, client.Attempt{
			At:         a.At.UTC(),
			DurationMS: a.Duration.Milliseconds(),
			Status:     a.Status,
			Error:      c.text(a.Error),
			// Downstream answers may carry tokens too. Only the
			// snippet's first 1 KiB is kept and not its Content-Type:
			// a JSON or form answer is censored by field name, any
			// answer by secret value.
			Response: strings.ToValidUTF8(string(c.snippet(a.Response)), "\uFFFD"),
		})
	}
	return out
}

// renderSummary is a message in a list.
func renderSummary(s queue.Summary, paused map[string]bool) client.MessageSummary {
	out := client.MessageSummary{
		ID:         s.Message.ID,
		Route:      s.Message.Route,
		ReceivedAt: s.Message.ReceivedAt.UTC(),
		Method:     s.Message.Method,
		Path:       s.Message.Path,
		Deliveries: make([]client.DeliverySummary, 0, len(s.Deliveries)),
	}
	for _, d := range s.Deliveries {
		out.Deliveries = append(out.Deliveries, client.DeliverySummary{Destination: d.Destination, State: shownState(d, paused)})
	}
	return out
}

// censor is built from the current rules on every request, so a reload's
// new secrets and names apply at once.
func (s *Server) censor() censor {
	if s.opts.Censor == nil {
		return newCensor(CensorRules{})
	}
	return newCensor(s.opts.Censor())
}

// message renders one message, or returns queue.ErrNotFound.
func (s *Server) message(id string) (*client.Message, error) {
	if !client.ValidID(id) {
		return nil, queue.ErrNotFound
	}
	m, ds, err := s.opts.Store.Get(id)
	if err != nil {
		return nil, err
	}
	out := renderMessage(m, ds, s.opts.Store.Paused(), s.censor())
	return &out, nil
}

// MessageJSON is the censored JSON of a message, as relayctl show --json
// prints it, with the HTTP status to answer it with. An unknown id gives
// 404 and the ingress error shape
// {"result":"ERROR","error":"not_found","error_message":"no message <id>"}.
func (s *Server) MessageJSON(id string) ([]byte, int) {
	m, err := s.message(id)
	if errors.Is(err, queue.ErrNotFound) {
		return ingressError("not_found", fmt.Sprintf("no message %s", id)), http.StatusNotFound
	}
	if err != nil {
		s.logger.Error("read message for status endpoint", "id", id, "err", err)
		return ingressError("internal", "cannot read the message"), http.StatusInternalServerError
	}
	b, err := marshal(m)
	if err != nil {
		return ingressError("internal", "cannot encode the message"), http.StatusInternalServerError
	}
	return b, http.StatusOK
}

func ingressError(code, msg string) []byte {
	b, _ := json.Marshal(struct {
		Result       string `json:"result"`
		Error        string `json:"error"`
		ErrorMessage string `json:"error_message"`
	}{"ERROR", code, msg})
	return b
}

// timePtr returns nil for the zero time so JSON shows null.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
