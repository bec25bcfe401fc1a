// Package observe records what the server does: one log line per request and the metrics (Prometheus's text
// format, written by github.com/VictoriaMetrics/metrics).
package observe

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
)

// Metrics are the blog's metrics, kept in their own set (no global state) and served in Prometheus's text format
// with the Go runtime's and the process's. A nil *Metrics records nothing, so callers need not check.
type Metrics struct {
	set  *metrics.Set
	help map[string]family
}

// family is what the exposition says about a metric family: its type and its help text.
type family struct{ kind, help string }

// durationBuckets are the request latency histogram's upper bounds, in seconds (Prometheus's default buckets).
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// NewMetrics creates the metrics; streams reports the number of open event streams when scraped.
func NewMetrics(streams func() int) *Metrics {
	m := &Metrics{set: metrics.NewSet(), help: map[string]family{
		"blog_http_requests_total":           {"counter", "HTTP requests by route, method and status."},
		"blog_http_request_duration_seconds": {"histogram", "HTTP request latency by route and method (event streams excluded)."},
		"blog_comments_posted_total":         {"counter", "Comments stored."},
		"blog_comments_rejected_total":       {"counter", "Comment submissions refused, by reason."},
		"blog_comments_held_total":           {"counter", "Comments stored but held for the owner (pending or spam), by reason."},
		"blog_refused_total":                 {"counter", "Connections, streams and requests refused to keep one client from holding too much, by kind."},
		"blog_db_errors_total":               {"counter", "Requests that failed because of a database error."},
		"blog_outbox_total": {"counter", "Outbox messages by kind (mail, webhook) and result (sent, failed: an attempt failed and will be " +
			"retried, gave_up: failed for good, postponed: over a recipient's hourly bound, dropped: to a mailbox that unsubscribed)."},
		"blog_event_streams_open": {"gauge", "Open live-comment streams."},
		"blog_outbox_pending":     {"gauge", "Messages waiting to be sent."},
		"blog_outbox_failed":      {"gauge", "Messages that failed for good."},
	}}
	m.set.NewCounter("blog_comments_posted_total")
	m.set.NewCounter("blog_db_errors_total")
	m.set.NewGauge("blog_event_streams_open", func() float64 { return float64(streams()) })
	return m
}

// counter returns the counter of a family with these label pairs (name, value, name, value...).
func (m *Metrics) counter(name string, labels ...string) *metrics.Counter {
	return m.set.GetOrCreateCounter(name + labelSet(labels))
}

// labelSet writes label pairs (name, value, name, value...) as Prometheus does: {name="value",...}, sorted by
// name, values escaped.
func labelSet(pairs []string) string {
	if len(pairs) == 0 {
		return ""
	}
	labels := make([]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		labels = append(labels, pairs[i]+`="`+labelEscaper.Replace(pairs[i+1])+`"`)
	}
	slices.Sort(labels)
	return "{" + strings.Join(labels, ",") + "}"
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// Outbox counts what happened to outbox messages (n of them) of a kind.
func (m *Metrics) Outbox(kind, result string, n int) {
	if m != nil {
		m.counter("blog_outbox_total", "kind", kind, "result", result).Add(n)
	}
}

// WatchOutbox reports, when scraped, the messages waiting in the outbox and those that failed for good.
func (m *Metrics) WatchOutbox(counts func() (pending, failed int)) {
	if m == nil {
		return
	}
	m.set.NewGauge("blog_outbox_pending", func() float64 { p, _ := counts(); return float64(p) })
	m.set.NewGauge("blog_outbox_failed", func() float64 { _, f := counts(); return float64(f) })
}

// Rejected counts a refused comment submission.
func (m *Metrics) Rejected(reason string) {
	if m != nil {
		m.counter("blog_comments_rejected_total", "reason", reason).Inc()
	}
}

// Posted counts a stored comment.
func (m *Metrics) Posted() {
	if m != nil {
		m.counter("blog_comments_posted_total").Inc()
	}
}

// Held counts a stored comment held for the owner; reason is its kind ("moderation", "banned", ...).
func (m *Metrics) Held(reason string) {
	if m != nil {
		m.counter("blog_comments_held_total", "reason", reason).Inc()
	}
}

// Refused counts something refused to bound what one client holds (kind: "connection_budget",
// "connection_per_client", "accept_error", "stream_per_client", "body_too_large").
func (m *Metrics) Refused(kind string) {
	if m != nil {
		m.counter("blog_refused_total", "kind", kind).Inc()
	}
}

// DBError counts a request that failed on the database.
func (m *Metrics) DBError() {
	if m != nil {
		m.counter("blog_db_errors_total").Inc()
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
			m.counter("blog_http_requests_total", "route", route, "method", method, "status", strconv.Itoa(status)).Inc()
			if !strings.HasSuffix(route, "/events") {
				m.set.GetOrCreatePrometheusHistogramExt("blog_http_request_duration_seconds"+
					labelSet([]string{"route", route, "method", method}), durationBuckets).Update(d.Seconds())
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

// write writes the metrics in Prometheus's text format: the blog's, each family with its help and type, then the
// Go runtime's and the process's.
func (m *Metrics) write(w io.Writer) {
	var buf bytes.Buffer
	m.set.WritePrometheus(&buf)
	seen := map[string]bool{}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		name := line[:max(0, strings.IndexAny(line, "{ "))]
		name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if f, ok := m.help[name]; ok && !seen[name] {
			seen[name] = true
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, f.help, name, f.kind)
		}
		io.WriteString(w, line)
	}
	metrics.WriteProcessMetrics(w)
}

// HTTPHandler serves the metrics to net/http (the private METRICS_ADDR).
func (m *Metrics) HTTPHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		m.write(w)
	})
}

// contentType is Prometheus's text exposition format.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves the metrics, behind a bearer token when token is set.
func (m *Metrics) Handler(token string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if token != "" {
			if subtle.ConstantTimeCompare([]byte(c.Get(fiber.HeaderAuthorization)), []byte("Bearer "+token)) != 1 {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
				return c.Status(fiber.StatusUnauthorized).SendString("metrics need a bearer token\n")
			}
		}
		c.Set(fiber.HeaderContentType, contentType)
		m.write(c.Response().BodyWriter())
		return nil
	}
}
