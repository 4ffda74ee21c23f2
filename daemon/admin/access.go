package admin

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/user"
	"slices"
	"strconv"
)

// Access names who may use the admin socket besides root and relayd's own
// user (admin.group, admin.readonly_group).
type Access struct {
	// Group's members may run every command; empty means relayd's own
	// primary group (what a 0660 socket owned by it allowed before).
	Group string
	// ReadonlyGroup's members may run the read commands (GET: status,
	// destinations, ls, show, tail) only.
	ReadonlyGroup string
}

type accessLevel int

const (
	noAccess accessLevel = iota
	readAccess
	fullAccess
)

// identity is a peer as the access rules see it.
type identity struct {
	uid  uint32
	name string   // user name, or the uid when it has none
	gids []string // primary and supplementary groups
}

// accessRules are Access resolved against the system's groups.
type accessRules struct {
	ownUID              uint32
	adminGID, adminName string // adminGID empty: the group does not exist
	readGID, readName   string
}

// decide says what id may do, and for less than everything, why not.
func decide(id identity, r accessRules) (accessLevel, string) {
	if id.uid == 0 || id.uid == r.ownUID {
		return fullAccess, ""
	}
	if r.adminGID != "" && slices.Contains(id.gids, r.adminGID) {
		return fullAccess, ""
	}
	why := fmt.Sprintf("not root, not relayd's user, not in group %s", r.adminName)
	if r.readGID != "" && slices.Contains(id.gids, r.readGID) {
		return readAccess, why + fmt.Sprintf(" (group %s may only read)", r.readName)
	}
	return noAccess, why
}

// rules resolves the configured groups now, so that a group created or
// changed after relayd started counts at once.
func (a Access) rules() accessRules {
	r := accessRules{ownUID: uint32(os.Getuid()), adminName: a.Group, readName: a.ReadonlyGroup}
	if a.Group == "" {
		r.adminGID = strconv.Itoa(os.Getgid())
		r.adminName = r.adminGID
		if g, err := user.LookupGroupId(r.adminGID); err == nil {
			r.adminName = g.Name
		}
	} else if g, err := user.LookupGroup(a.Group); err == nil {
		r.adminGID = g.Gid
	}
	if a.ReadonlyGroup != "" {
		if g, err := user.LookupGroup(a.ReadonlyGroup); err == nil {
			r.readGID = g.Gid
		}
	}
	return r
}

// identify names a peer and lists its groups: the connecting process's
// gid and its user's primary and supplementary groups.
func identify(p peer) identity {
	id := identity{uid: p.uid, name: strconv.FormatUint(uint64(p.uid), 10), gids: []string{strconv.FormatUint(uint64(p.gid), 10)}}
	u, err := user.LookupId(id.name)
	if err != nil {
		return id
	}
	id.name = u.Username
	id.gids = append(id.gids, u.Gid)
	if gs, err := u.GroupIds(); err == nil {
		id.gids = append(id.gids, gs...)
	}
	return id
}

// commands name the admin endpoints as relayctl's commands.
var commands = map[string]string{
	"GET /v1/status":                      "status",
	"GET /v1/destinations":                "destinations",
	"POST /v1/destinations/{name}/pause":  "pause",
	"POST /v1/destinations/{name}/resume": "resume",
	"GET /v1/messages":                    "ls",
	"GET /v1/messages/{id}":               "show",
	"DELETE /v1/messages":                 "purge",
	"POST /v1/replay":                     "replay",
	"POST /v1/reload":                     "reload",
	"GET /v1/tail":                        "tail",
}

// checkPeer lets a request through only when its peer may run it, and logs
// every mutating command once, with the peer and the handler's details
// (an error included): neither the handler nor what it calls (relay's
// Pause, the daemon's reload) logs the same event again.
func (s *Server) checkPeer(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		cmd, ok := commands[pattern]
		if !ok {
			cmd = r.Method + " " + r.URL.Path
		}
		p := peerOf(r.Context())
		if p.err != nil {
			s.logger.Warn("admin request refused: unknown peer", "command", cmd, "err", p.err)
			writeError(w, http.StatusForbidden, "may not run %s: cannot identify the admin socket's peer: %v", cmd, p.err)
			return
		}
		id := identify(p)
		level, why := decide(id, s.opts.Access.rules())
		read := r.Method == http.MethodGet || r.Method == http.MethodHead
		if level == noAccess || (level == readAccess && !read) {
			s.logger.Warn("admin command refused", "command", cmd, "uid", id.uid, "user", id.name)
			writeError(w, http.StatusForbidden, "uid %d (%s) may not run %s: %s", id.uid, id.name, cmd, why)
			return
		}
		if read {
			mux.ServeHTTP(w, r)
			return
		}
		details := &logDetails{}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), logDetailsKey{}, details)))
		args := append([]any{"command", cmd, "uid", id.uid, "user", id.name, "status", rec.status}, details.args...)
		s.logger.Log(r.Context(), commandLevel(rec.status), "admin command", args...)
	})
}

// commandLevel is the level of a command's line: a refusal the operator
// must fix is a warning, a failure of relayd's own an error.
func commandLevel(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// logDetails collects what a mutating command's handler adds to its one
// log line (destination, deliveries counted, ...).
type logDetails struct{ args []any }

type logDetailsKey struct{}

// logDetail adds key/value pairs to the request's command log line.
func logDetail(ctx context.Context, args ...any) {
	if d, ok := ctx.Value(logDetailsKey{}).(*logDetails); ok {
		d.args = append(d.args, args...)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
