package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the Prometheus collectors of one server, in a registry of
// their own so that tests can create many servers in one process.
type Metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec
	oauthErrors  *prometheus.CounterVec
	tokensIssued *prometheus.CounterVec
	refreshReuse prometheus.Counter
}

// NewMetrics returns the collectors, registered with Go runtime and process
// metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "consentry_http_requests_total",
			Help: "HTTP requests by route pattern and response status.",
		}, []string{"route", "status"}),
		oauthErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "consentry_oauth_errors_total",
			Help: "OAuth errors answered, by error code.",
		}, []string{"error"}),
		tokensIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "consentry_tokens_issued_total",
			Help: "Token responses issued, by grant type.",
		}, []string{"grant_type"}),
		refreshReuse: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "consentry_refresh_reuse_detected_total",
			Help: "Refresh tokens presented again after the reuse window; each revoked its connection.",
		}),
	}
	m.registry.MustRegister(m.requests, m.oauthErrors, m.tokensIssued, m.refreshReuse,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// TokenIssued counts a token response of the grant type.
func (m *Metrics) TokenIssued(grantType string) {
	m.tokensIssued.WithLabelValues(grantType).Inc()
}

// RefreshReuseDetected counts a detected refresh-token reuse.
func (m *Metrics) RefreshReuseDetected() {
	m.refreshReuse.Inc()
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
