// Package httphello is the reference HTTP hello server: GET / answers a
// small HTML page, everything else 404. It is Go's net/http, configured
// with the limits a server on a network needs.
package httphello

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Page is the body of GET / (104 bytes, no trailing newline).
const Page = `<!DOCTYPE html><html><head><title>Hello, World!</title></head><body><h1>Hello, World!</h1></body></html>`

// MaxHeaderBytes caps a request's header block; beyond it the client gets 431.
const MaxHeaderBytes = 16 << 10

// Serve runs the HTTP hello server on ln until ctx is cancelled.
func Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           http.HandlerFunc(hello),
		ReadHeaderTimeout: 10 * time.Second, // a half-sent request is dropped
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func hello(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Only "/" itself: no ServeMux, which would redirect "/a/../" and
	// treat "/" as a catch-all.
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// An explicit Content-Length frames the body for GET and tells a HEAD
	// client how long the page is; net/http sends no body for HEAD.
	w.Header().Set("Content-Length", strconv.Itoa(len(Page)))
	w.Write([]byte(Page))
}
