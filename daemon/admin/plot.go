package admin

import (
	"fmt"
	"time"
)

// plot is one inline SVG bar chart of per-minute counts.
type plot struct {
	Title, Class string
	Total, Max   int64
	Width        int
	Height       int
	Bars         []plotBar
	From, To     string // axis labels
}

// plotBar is one minute's bar; Label is its tooltip.
type plotBar struct {
	X, Y, W, H string
	Label      string
}

const (
	plotWidth  = 360
	plotHeight = 80
)

// ratePlots draws the three rates of the status page.
func ratePlots(r Rates) []plot {
	return []plot{
		barPlot("Accepted", "accepted", r.Accepted, r.End),
		barPlot("Delivered", "delivered", r.Delivered, r.End),
		barPlot("Failed attempts", "failed", r.Failed, r.End),
	}
}

// barPlot scales counts (oldest first, the last ending at end's minute)
// to bars; the geometry is computed here so the template only places it.
func barPlot(title, class string, counts []int64, end time.Time) plot {
	p := plot{Title: title, Class: class, Width: plotWidth, Height: plotHeight}
	for _, n := range counts {
		p.Total += n
		p.Max = max(p.Max, n)
	}
	if len(counts) == 0 {
		return p
	}
	w := float64(plotWidth) / float64(len(counts))
	start := end.Add(-time.Duration(len(counts)-1) * time.Minute)
	p.From, p.To = start.UTC().Format("15:04"), end.UTC().Format("15:04")+" UTC"
	for i, n := range counts {
		h := 0.0
		if p.Max > 0 {
			h = float64(n) / float64(p.Max) * plotHeight
		}
		if n > 0 && h < 1 {
			h = 1 // a minute with anything at all stays visible
		}
		at := start.Add(time.Duration(i) * time.Minute)
		p.Bars = append(p.Bars, plotBar{
			X: num(float64(i) * w), Y: num(plotHeight - h), W: num(w - 1), H: num(h),
			Label: fmt.Sprintf("%s UTC: %d", at.UTC().Format("15:04"), n),
		})
	}
	return p
}

func num(f float64) string { return fmt.Sprintf("%.1f", f) }
