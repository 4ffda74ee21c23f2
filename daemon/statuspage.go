package daemon

import "github.com/relayd/relayd/daemon/admin"

// statusPageToken is admin.status_page_token of the running config, read
// per request so that a reload rotates it.
func (d *Daemon) statusPageToken() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg.Admin.StatusPageToken
}

// recentRates hands the metrics' last hour to the status page (admin does
// not import daemon/metrics).
func (d *Daemon) recentRates() admin.Rates {
	r := d.meters.Recent()
	return admin.Rates{End: r.End, Accepted: r.Accepted, Delivered: r.Delivered, Failed: r.Failed}
}
