package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Error is an error answered by the admin API; Message is its
// error_message, Status the HTTP status.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// UnreachableError means nothing answered on the admin socket: relayd is
// most likely not running (or the socket path is wrong).
type UnreachableError struct {
	Socket string
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot connect to relayd admin socket %s: %v (is relayd running?)", e.Socket, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Client talks to one relayd admin socket.
type Client struct {
	socket string
	http   *http.Client
}

// New returns a client for the admin socket at socketPath. It connects
// lazily, per request.
func New(socketPath string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			conn, err := d.DialContext(ctx, "unix", socketPath)
			if err != nil {
				return nil, &UnreachableError{Socket: socketPath, Err: unwrapOp(err)}
			}
			return conn, nil
		},
		MaxIdleConns:    2,
		IdleConnTimeout: 30 * time.Second,
	}
	return &Client{socket: socketPath, http: &http.Client{Transport: tr}}
}

// unwrapOp drops net.OpError's "dial unix PATH:" prefix: the socket is
// already named by UnreachableError.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// Socket is the path this client connects to.
func (c *Client) Socket() string { return c.socket }

// Status fetches the daemon's status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var s Status
	return &s, c.do(ctx, http.MethodGet, "/v1/status", nil, nil, &s)
}

// Destinations fetches every destination's live state.
func (c *Client) Destinations(ctx context.Context) (*DestinationList, error) {
	var l DestinationList
	return &l, c.do(ctx, http.MethodGet, "/v1/destinations", nil, nil, &l)
}

// Pause holds a destination's deliveries.
func (c *Client) Pause(ctx context.Context, dest string) (*DestinationState, error) {
	var s DestinationState
	return &s, c.do(ctx, http.MethodPost, "/v1/destinations/"+url.PathEscape(dest)+"/pause", nil, nil, &s)
}

// Resume releases a paused destination.
func (c *Client) Resume(ctx context.Context, dest string) (*DestinationState, error) {
	var s DestinationState
	return &s, c.do(ctx, http.MethodPost, "/v1/destinations/"+url.PathEscape(dest)+"/resume", nil, nil, &s)
}

// ListQuery filters GET /v1/messages; zero fields do not filter.
type ListQuery struct {
	Destination string
	State       string
	Route       string
	// Key is a business key: an idempotency key, ordering key or
	// tracing id (any of the three).
	Key    string
	Since  time.Time
	Before time.Time
	Limit  int
}

func (q ListQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("dest", q.Destination)
	set("state", q.State)
	set("route", q.Route)
	set("key", q.Key)
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Before.IsZero() {
		v.Set("before", q.Before.UTC().Format(time.RFC3339Nano))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// List fetches messages matching q, newest first.
func (c *Client) List(ctx context.Context, q ListQuery) (*MessageList, error) {
	var l MessageList
	return &l, c.do(ctx, http.MethodGet, "/v1/messages", q.values(), nil, &l)
}

// Message fetches one message with its attempts (censored).
func (c *Client) Message(ctx context.Context, id string) (*Message, error) {
	var m Message
	return &m, c.do(ctx, http.MethodGet, "/v1/messages/"+url.PathEscape(id), nil, nil, &m)
}

// Replay schedules the selected deliveries again from a fresh schedule.
func (c *Client) Replay(ctx context.Context, r ReplayRequest) (*ReplayResult, error) {
	var res ReplayResult
	return &res, c.do(ctx, http.MethodPost, "/v1/replay", nil, r, &res)
}

// PurgeQuery selects what DELETE /v1/messages removes; State is required
// (dead or delivered).
type PurgeQuery struct {
	State       string
	Destination string
	Before      time.Time
	DryRun      bool // count what would be deleted; delete nothing
}

// Purge deletes dead or delivered deliveries.
func (c *Client) Purge(ctx context.Context, q PurgeQuery) (*PurgeResult, error) {
	v := ListQuery{State: q.State, Destination: q.Destination, Before: q.Before}.values()
	if q.DryRun {
		v.Set("dry_run", "true")
	}
	var res PurgeResult
	return &res, c.do(ctx, http.MethodDelete, "/v1/messages", v, nil, &res)
}

// Reload asks the daemon to re-read its config and says what changed; a
// refused config comes back as an *Error carrying every problem.
func (c *Client) Reload(ctx context.Context) (*ReloadResult, error) {
	var res ReloadResult
	return &res, c.do(ctx, http.MethodPost, "/v1/reload", nil, nil, &res)
}

// TailQuery filters GET /v1/tail; zero fields do not filter. States are
// event results (delivered, retrying, dead, breaker-open, breaker-closed);
// Last asks for that many recent events first.
type TailQuery struct {
	Destination string
	Route       string
	States      []string
	Last        int
}

func (q TailQuery) values() url.Values {
	v := ListQuery{Destination: q.Destination, Route: q.Route}.values()
	if len(q.States) > 0 {
		v.Set("state", strings.Join(q.States, ","))
	}
	if q.Last > 0 {
		v.Set("n", strconv.Itoa(q.Last))
	}
	return v
}

// ErrStreamClosed is the end of a tail stream that relayd closed (it is
// shutting down or restarting).
var ErrStreamClosed = errors.New("relayd closed the tail stream (shutting down?)")

// Tail calls fn with each delivery event until ctx is done (then it
// returns nil), the daemon goes away, or fn returns an error.
func (c *Client) Tail(ctx context.Context, fn func(Event) error) error {
	return c.TailWith(ctx, TailQuery{}, nil, fn)
}

// TailWith is Tail with filters; opened, when set, is called once relayd
// has accepted the stream.
func (c *Client) TailWith(ctx context.Context, q TailQuery, opened func(), fn func(Event) error) error {
	resp, err := c.send(ctx, http.MethodGet, "/v1/tail", q.values(), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if opened != nil {
		opened()
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return fmt.Errorf("decode tail event: %w", err)
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read tail stream: %w", err)
	}
	return ErrStreamClosed
}

// do sends a request and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	resp, err := c.send(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

// send performs a request and turns a non-2xx answer into *Error.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	u := "http://relayd" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *UnreachableError
		if errors.As(err, &ue) {
			return nil, ue
		}
		return nil, fmt.Errorf("%s %s on %s: %w", method, path, c.socket, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var eb ErrorBody
	if json.Unmarshal(b, &eb) != nil || eb.ErrorMessage == "" {
		eb.ErrorMessage = fmt.Sprintf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	return nil, &Error{Status: resp.StatusCode, Message: eb.ErrorMessage}
}
