package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// A proxy or an old daemon may answer without the JSON error shape: the
// status and body still reach the operator.
func TestNonJSONErrorBecomesError(t *testing.T) {
	dir, err := os.MkdirTemp("", "rc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/status" {
			http.Error(w, "upstream broke", http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"error":1,"error_message":"busy"}`))
	})}
	go srv.Serve(ln)
	defer srv.Close()

	c := New(sock)
	_, err = c.Status(context.Background())
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != http.StatusBadGateway || ae.Message != "GET /v1/status: HTTP 502: upstream broke" {
		t.Fatalf("non-JSON error: %#v", err)
	}
	_, err = c.Reload(context.Background())
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict || err.Error() != "busy" {
		t.Fatalf("JSON error: %#v", err)
	}
}
