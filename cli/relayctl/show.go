package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/relayd/relayd/daemon/admin/client"
)

// writeMessage prints a message for a human: fields, headers, body, then
// each destination's attempts as a table.
func writeMessage(w io.Writer, m *client.Message, now time.Time) error {
	fmt.Fprintf(w, "id:          %s\n", m.ID)
	fmt.Fprintf(w, "route:       %s\n", orDash(m.Route))
	fmt.Fprintf(w, "received:    %s (%s)\n", m.ReceivedAt.Format(time.RFC3339), ago(m.ReceivedAt, now))
	target := m.Path
	if m.Query != "" {
		target += "?" + m.Query
	}
	fmt.Fprintf(w, "request:     %s %s\n", m.Method, target)
	if m.TracingID != "" {
		fmt.Fprintf(w, "tracing id:  %s\n", m.TracingID)
	}
	if m.IdempotencyKey != "" {
		fmt.Fprintf(w, "idempotency: %s\n", m.IdempotencyKey)
	}
	if m.OrderingKey != "" {
		fmt.Fprintf(w, "ordering:    %s\n", m.OrderingKey)
	}
	if m.RemoteAddr != "" {
		fmt.Fprintf(w, "from:        %s\n", m.RemoteAddr)
	}
	names := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "headers:")
	for _, k := range names {
		fmt.Fprintf(w, "  %s: %s\n", k, m.Headers[k])
	}
	switch {
	case m.Body != nil:
		fmt.Fprintf(w, "body (%d bytes):\n%s\n", len(*m.Body), *m.Body)
	default:
		fmt.Fprintf(w, "body (binary, base64):\n%s\n", m.BodyBase64)
	}
	for _, d := range m.Deliveries {
		fmt.Fprintf(w, "\ndelivery to %s: %s, %d attempts", d.Destination, d.State, d.AttemptCount)
		if d.NextAttemptAt != nil {
			fmt.Fprintf(w, ", next %s", ago(*d.NextAttemptAt, now))
		}
		fmt.Fprintln(w)
		if len(d.Attempts) == 0 {
			continue
		}
		t := newTable(w, "  AT", "DURATION", "STATUS", "ERROR", "RESPONSE")
		for _, a := range d.Attempts {
			status := "-"
			if a.Status != 0 {
				status = strconv.Itoa(a.Status)
			}
			t.row("  "+a.At.Format(time.RFC3339)+" ("+ago(a.At, now)+")", fmt.Sprintf("%dms", a.DurationMS),
				status, orDash(errorCell(a.Error, 60)), orDash(oneLine(a.Response, 60)))
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}
