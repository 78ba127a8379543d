package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/consentry/consentry/oauth"
)

// requestInfo collects what the request log line reports. Handlers fill in
// the ids they learn; the middleware writes the line when the response is
// done.
type requestInfo struct {
	ID            string
	Route         string
	ClientID      string
	CorrelationID string
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

func requestID(r *http.Request) string {
	return requestInfoFrom(r.Context()).ID
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// middleware gives every request an X-Request-Id, recovers from panics with a
// server_error that shows no internals, and writes one log line and one
// metric per request. The log line has the method, the route pattern, the
// status and the ids; never the path's query, the body or credential headers.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{ID: newRequestID(), Route: "unmatched"}
		info.CorrelationID = oauth.CorrelationID(r.Header.Get("X-Correlation-Id"))
		ctx := context.WithValue(r.Context(), requestInfoKey{}, info)
		// A deadline on every request bounds how long a storage call can
		// wait on an unresponsive database. The call then fails
		// with temporarily_unavailable instead of holding the connection.
		ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
		ctx = oauth.WithRequestID(ctx, info.ID)
		w.Header().Set("X-Request-Id", info.ID)
		rec := &statusRecorder{ResponseWriter: w}

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(ctx, "handler panicked", "request_id", info.ID,
					"route", info.Route, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					s.writePanicError(rec, r.WithContext(ctx), info.Route)
				}
			}
			s.logRequest(ctx, r, info, rec.status, time.Since(start))
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// writePanicError sends server_error for a request whose handler panicked.
// The authorization pages get an error page, because they must never redirect
// to a URI they have not verified, and every other route a JSON error.
func (s *Server) writePanicError(w http.ResponseWriter, r *http.Request, route string) {
	_, path, _ := strings.Cut(route, " ")
	if strings.HasPrefix(path, "/api/v1/authorize") {
		s.authorizeError(w, r, oauth.ErrServer)
		return
	}
	s.writeError(w, r, oauth.ErrServer)
}

func (s *Server) logRequest(ctx context.Context, r *http.Request, info *requestInfo, status int,
	elapsed time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	if s.metrics != nil {
		s.metrics.requests.WithLabelValues(info.Route, strconv.Itoa(status)).Inc()
	}
	attrs := []any{
		"request_id", info.ID,
		"method", r.Method,
		"route", info.Route,
		"status", status,
		"duration_ms", elapsed.Milliseconds(),
	}
	if info.ClientID != "" {
		attrs = append(attrs, "client_id", info.ClientID)
	}
	if info.CorrelationID != "" {
		attrs = append(attrs, "correlation_id", info.CorrelationID)
	}
	s.log.InfoContext(ctx, "request", attrs...)
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
