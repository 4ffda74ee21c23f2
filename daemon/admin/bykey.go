package admin

import (
	"net/http"

	"github.com/relayd/relayd/daemon/admin/client"
	"github.com/relayd/relayd/queue"
)

// maxKeyMessages bounds the answer to GET /_relay/messages?key=K: a sender
// asks about its own task, not for a listing.
const maxKeyMessages = 20

// MessagesByKeyJSON is the ingress's GET /_relay/messages?key=K: the
// messages whose idempotency key, ordering key or tracing id is key,
// newest first, at most 20, each censored as MessageJSON shows it, as
// client.KeyMessages; with the HTTP status to answer. None gives 404 and
// the ingress error shape with error "not_found". The key is never
// logged nor repeated in the answer: it may be a sender's secret.
func (s *Server) MessagesByKeyJSON(key string) ([]byte, int) {
	if key == "" || len(key) > maxKeyLen {
		return ingressError("bad_request", "key must be 1 to 65536 bytes"), http.StatusBadRequest
	}
	sums, err := s.opts.Store.List(queue.Filter{Key: key, Limit: maxKeyMessages + 1})
	if err != nil {
		s.logger.Error("list messages by key for status endpoint", "err", err)
		return ingressError("internal", "cannot read the messages"), http.StatusInternalServerError
	}
	if len(sums) == 0 {
		return ingressError("not_found", "no message with that key"), http.StatusNotFound
	}
	out := client.KeyMessages{Messages: make([]client.Message, 0, min(len(sums), maxKeyMessages))}
	out.More = len(sums) > maxKeyMessages
	paused, c := s.opts.Store.Paused(), s.censor()
	for _, sum := range sums[:min(len(sums), maxKeyMessages)] {
		m, ds, err := s.opts.Store.Get(sum.Message.ID)
		if err != nil {
			continue // purged or expired since the listing
		}
		out.Messages = append(out.Messages, renderMessage(m, ds, paused, c))
	}
	if len(out.Messages) == 0 {
		return ingressError("not_found", "no message with that key"), http.StatusNotFound
	}
	b, err := marshal(out)
	if err != nil {
		return ingressError("internal", "cannot encode the messages"), http.StatusInternalServerError
	}
	return b, http.StatusOK
}
