// Package observe records what the server does: one log line per request and the Prometheus metrics.
package observe

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the blog's Prometheus metrics, registered on their own registry (no global state). A nil
// *Metrics records nothing, so callers need not check.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	posted   prometheus.Counter
	rejected *prometheus.CounterVec
	held     *prometheus.CounterVec
	refused  *prometheus.CounterVec
	dbErrors prometheus.Counter
	outbox   *prometheus.CounterVec
}

// NewMetrics creates the metrics; streams reports the number of open event streams when scraped.
func NewMetrics(streams func() int) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "blog_http_requests_total",
			Help: "HTTP requests by route, method and status."}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "blog_http_request_duration_seconds",
			Help: "HTTP request latency by route and method (event streams excluded).", Buckets: prometheus.DefBuckets},
			[]string{"route", "method"}),
		posted: prometheus.NewCounter(prometheus.CounterOpts{Name: "blog_comments_posted_total", Help: "Comments stored."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "blog_comments_rejected_total",
			Help: "Comment submissions refused, by reason."}, []string{"reason"}),
		held: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "blog_comments_held_total",
			Help: "Comments stored but held for the owner (pending or spam), by reason."}, []string{"reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "blog_refused_total",
			Help: "Connections, streams and requests refused to keep one client from holding too much, by kind."}, []string{"kind"}),
		dbErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "blog_db_errors_total",
			Help: "Requests that failed because of a database error."}),
	}
	m.outbox = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "blog_outbox_total",
		Help: "Outbox messages by kind (mail, webhook) and result (sent, failed: an attempt failed and will be retried, gave_up: failed for good, postponed: over a recipient's hourly bound)."},
		[]string{"kind", "result"})
	m.registry.MustRegister(m.requests, m.duration, m.posted, m.rejected, m.held, m.refused, m.dbErrors, m.outbox,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "blog_event_streams_open", Help: "Open live-comment streams."},
			func() float64 { return float64(streams()) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Outbox counts what happened to outbox messages (n of them) of a kind.
func (m *Metrics) Outbox(kind, result string, n int) {
	if m != nil {
		m.outbox.WithLabelValues(kind, result).Add(float64(n))
	}
}

// WatchOutbox reports, when scraped, the messages waiting in the outbox and those that failed for good.
func (m *Metrics) WatchOutbox(counts func() (pending, failed int)) {
	if m == nil {
		return
	}
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "blog_outbox_pending", Help: "Messages waiting to be sent."},
			func() float64 { p, _ := counts(); return float64(p) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "blog_outbox_failed", Help: "Messages that failed for good."},
			func() float64 { _, f := counts(); return float64(f) }))
}

// Rejected counts a refused comment submission.
func (m *Metrics) Rejected(reason string) {
	if m != nil {
		m.rejected.WithLabelValues(reason).Inc()
	}
}

// Posted counts a stored comment.
func (m *Metrics) Posted() {
	if m != nil {
		m.posted.Inc()
	}
}

// Held counts a stored comment held for the owner; reason is its kind ("moderation", "banned", ...).
func (m *Metrics) Held(reason string) {
	if m != nil {
		m.held.WithLabelValues(reason).Inc()
	}
}

// Refused counts something refused to bound what one client holds (kind: "connection_budget",
// "connection_per_client", "accept_error", "stream_per_client", "body_too_large").
func (m *Metrics) Refused(kind string) {
	if m != nil {
		m.refused.WithLabelValues(kind).Inc()
	}
}

// DBError counts a request that failed on the database.
func (m *Metrics) DBError() {
	if m != nil {
		m.dbErrors.Inc()
	}
}

// Requests logs one line per request (request id, method, route, status, duration) and records the metrics.
// It never logs bodies, query strings or cookies, so no email or token reaches the log. handleError is the
// app's error handler: an error is turned into its response here, so the line carries the real status.
func Requests(log *slog.Logger, m *Metrics, handleError fiber.ErrorHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			if herr := handleError(c, err); herr != nil {
				return herr
			}
			status = c.Response().StatusCode()
		}
		route := c.Route().Path
		if c.Route().Method == "USE" || route == "" {
			route = "unmatched" // keeps the label's values bounded
		}
		d := time.Since(start)
		if m != nil {
			// Cloned: label values outlive the request, and fasthttp reuses the buffer c.Method() points into.
			method := strings.Clone(c.Method())
			m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
			if !strings.HasSuffix(route, "/events") {
				m.duration.WithLabelValues(route, method).Observe(d.Seconds())
			}
		}
		if c.Context().Hijacked() {
			return nil // an event stream: it writes its own line when it ends (StreamEnded), with its real duration
		}
		Line(log, RequestID(c), c.Method(), c.Path(), route, status, d)
		return nil
	}
}

// Line writes one request's log line.
func Line(log *slog.Logger, id, method, path, route string, status int, d time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	log.LogAttrs(context.Background(), level, "request", slog.String("request_id", id), slog.String("method", method),
		slog.String("path", path), slog.String("route", route), slog.Int("status", status), slog.Duration("duration", d))
}

// RequestID returns the request's id, set by NewRequestID.
func RequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	return id
}

// NewRequestID assigns every request an id (kept from X-Request-ID when a proxy set one) and echoes it back.
func NewRequestID() fiber.Handler { return requestid.New() }

// HTTPHandler serves the metrics to net/http (the private METRICS_ADDR).
func (m *Metrics) HTTPHandler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Handler serves the metrics, behind a bearer token when token is set.
func (m *Metrics) Handler(token string) fiber.Handler {
	h := adaptor.HTTPHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	return func(c *fiber.Ctx) error {
		if token != "" {
			if subtle.ConstantTimeCompare([]byte(c.Get(fiber.HeaderAuthorization)), []byte("Bearer "+token)) != 1 {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
				return c.Status(fiber.StatusUnauthorized).SendString("metrics need a bearer token\n")
			}
		}
		return h(c)
	}
}
