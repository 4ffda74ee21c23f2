package relay

import (
	"github.com/relayd/relayd/queue"
)

// StateFailing is shown for a destination whose last FailingAfter
// deliveries in a row went dead; it lasts until one is delivered. A
// destination paused or backing-off shows that instead (precedence:
// disabled > paused > backing-off > failing > active).
const StateFailing = "failing"

// health counts deliveries that went dead in a row: the alarm for a
// destination that answers, but refuses everything (wrong URL, changed
// API). Retries neither count nor reset it; a delivery resets it.
type health struct {
	deadInRow int
	failing   bool
}

// healthChange is a transition of the failing state.
type healthChange int

const (
	healthSame healthChange = iota
	healthFailing
	healthRecovered
)

// observe counts one recorded outcome against failingAfter dead in a row.
func (h *health) observe(r queue.Result, failingAfter int) healthChange {
	switch r {
	case queue.Delivered:
		h.deadInRow = 0
		if h.failing {
			h.failing = false
			return healthRecovered
		}
	case queue.Dead:
		h.deadInRow++
		if h.deadInRow >= failingAfter && !h.failing {
			h.failing = true
			return healthFailing
		}
	}
	return healthSame
}

// logHealth writes the one line of a transition (not one per delivery).
func (d *destination) logHealth(c healthChange, deadInRow int, l *queue.Lease, out queue.Outcome) {
	switch c {
	case healthFailing:
		d.logger.Warn("destination failing: deliveries dead in a row",
			"dead_in_row", deadInRow, "message_id", l.Message.ID, "status", out.Attempt.Status, "error", out.Attempt.Error)
	case healthRecovered:
		d.logger.Info("destination no longer failing: a delivery succeeded", "message_id", l.Message.ID)
	}
}
