package monitoring

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

const dashboardFile = "../../docs/monitoring/relayd-dashboard.json"

type dashboard struct {
	Templating struct {
		List []struct {
			Name       string            `json:"name"`
			Type       string            `json:"type"`
			Query      any               `json:"query"`
			Datasource map[string]string `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID         int               `json:"id"`
	Type       string            `json:"type"`
	Title      string            `json:"title"`
	Datasource map[string]string `json:"datasource"`
	Targets    []struct {
		Datasource map[string]string `json:"datasource"`
		Expr       string            `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

// otherMetricRE finds the names of the Go runtime and process collectors.
var otherMetricRE = regexp.MustCompile(`\b(go|process)_[a-z0-9_]+`)

// TestDashboardQueriesExportedMetrics parses the Grafana dashboard: it has
// a Prometheus datasource variable that every panel and query uses, every
// query reads only metrics relayd exports, and the panels cover what the
// operations guide says the dashboard shows.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	hasDatasource := false
	for _, v := range d.Templating.List {
		if v.Type == "datasource" && v.Name == "datasource" && v.Query == "prometheus" {
			hasDatasource = true
		}
		if v.Type == "query" && v.Datasource["uid"] != "${datasource}" {
			t.Errorf("variable %s: datasource %v, want ${datasource}", v.Name, v.Datasource)
		}
		if q, _ := json.Marshal(v.Query); len(unknownMetrics(string(q))) > 0 {
			t.Errorf("variable %s queries metrics relayd does not export: %v", v.Name, unknownMetrics(string(q)))
		}
	}
	if !hasDatasource {
		t.Error(`no datasource variable: want {"name":"datasource","type":"datasource","query":"prometheus"}`)
	}

	used := map[string]bool{}
	ids := map[int]string{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if other, dup := ids[p.ID]; dup {
				t.Errorf("panels %q and %q share id %d", other, p.Title, p.ID)
			}
			ids[p.ID] = p.Title
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource["uid"] != "${datasource}" || len(p.Targets) == 0 {
				t.Errorf("panel %q: datasource %v, %d queries; want ${datasource} and at least one", p.Title, p.Datasource, len(p.Targets))
			}
			for _, q := range p.Targets {
				if q.Datasource["uid"] != "${datasource}" {
					t.Errorf("panel %q: a query's datasource is %v, want ${datasource}", p.Title, q.Datasource)
				}
				if bad := unknownMetrics(q.Expr); len(bad) > 0 {
					t.Errorf("panel %q queries metrics relayd does not export: %v", p.Title, bad)
				}
				names := metricsIn(q.Expr)
				if len(names) == 0 && !otherMetricRE.MatchString(q.Expr) {
					t.Errorf("panel %q: query %q reads no metric", p.Title, q.Expr)
				}
				for _, n := range names {
					used[n] = true
				}
			}
		}
	}
	walk(d.Panels)

	var missing []string
	for _, name := range []string{
		"relayd_ingress_requests_total", "relayd_ingress_accept_duration_seconds",
		"relayd_delivery_attempts_total", "relayd_queue_deliveries",
		"relayd_queue_oldest_pending_age_seconds", "relayd_destination_breaker_open",
		"relayd_destination_paused", "relayd_destination_failing",
		"relayd_storage_bytes", "relayd_storage_max_disk_bytes",
		"relayd_storage_free_bytes", "relayd_storage_min_free_bytes",
		"relayd_journal_fsync_duration_seconds",
	} {
		if !used[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("no panel shows %s", strings.Join(missing, ", "))
	}
}
