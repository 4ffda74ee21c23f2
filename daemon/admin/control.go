package admin

import (
	"net/http"
	"strings"
)

func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) {
	if s.opts.Reload == nil {
		writeError(w, http.StatusNotImplemented, "reload is not available")
		return
	}
	res, err := s.opts.Reload(r.Context())
	if err != nil {
		// The operator gets every problem; the command's one line too.
		logDetail(r.Context(), "err", err)
		writeError(w, http.StatusUnprocessableEntity, "%v", err)
		return
	}
	logDetail(r.Context(), "restart_needed", strings.Join(res.RestartNeeded, ","))
	writeJSON(w, http.StatusOK, res)
}
