package handlers

import (
	"crypto/subtle"
	"log/slog"
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

// Metrics are the blog's Prometheus metrics, registered on their own registry (no global state).
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	posted   prometheus.Counter
	rejected *prometheus.CounterVec
	dbErrors prometheus.Counter
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
		dbErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "blog_db_errors_total",
			Help: "Requests that failed because of a database error."}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.posted, m.rejected, m.dbErrors,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "blog_event_streams_open", Help: "Open live-comment streams."},
			func() float64 { return float64(streams()) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) reject(reason string) {
	if m != nil {
		m.rejected.WithLabelValues(reason).Inc()
	}
}

// observe logs one line per request (request id, method, route, status, duration) and records the metrics.
// It never logs bodies, query strings or cookies, so no email or token reaches the log.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		// The error handler has not run yet; ask it what it will answer.
		if herr := s.handleError(c, err); herr != nil {
			return herr
		}
		status = c.Response().StatusCode()
	}
	route := c.Route().Path
	if c.Route().Method == "USE" || route == "" {
		route = "unmatched" // keeps the label's values bounded
	}
	d := time.Since(start)
	if m := s.cfg.Metrics; m != nil {
		// Cloned: label values outlive the request, and fasthttp reuses the buffer c.Method() points into.
		method := strings.Clone(c.Method())
		m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		if route != "/posts/:slug/events" {
			m.duration.WithLabelValues(route, method).Observe(d.Seconds())
		}
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.cfg.Log.LogAttrs(c.UserContext(), level, "request",
		slog.String("request_id", requestID(c)), slog.String("method", c.Method()), slog.String("path", c.Path()),
		slog.String("route", route), slog.Int("status", status), slog.Duration("duration", d))
	return nil
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	return id
}

// newRequestID assigns every request an id (kept from X-Request-ID when a proxy set one) and echoes it back.
func newRequestID() fiber.Handler { return requestid.New() }

// metricsHandler serves /metrics, behind a bearer token when one is configured.
func (s *Server) metricsHandler() fiber.Handler {
	h := adaptor.HTTPHandler(promhttp.HandlerFor(s.cfg.Metrics.registry, promhttp.HandlerOpts{}))
	return func(c *fiber.Ctx) error {
		if tok := s.cfg.MetricsToken; tok != "" {
			if subtle.ConstantTimeCompare([]byte(c.Get(fiber.HeaderAuthorization)), []byte("Bearer "+tok)) != 1 {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
				return c.Status(fiber.StatusUnauthorized).SendString("metrics need a bearer token\n")
			}
		}
		return h(c)
	}
}
