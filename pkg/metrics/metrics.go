package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// namespace prefixes the service's own metrics.
const namespace = "ltiprovider"

// Metrics holds the service's metrics in a registry of their own (not the
// global one), so that tests and tools can make several.
type Metrics struct {
	Registry *prometheus.Registry

	launches        *prometheus.CounterVec
	launchDuration  prometheus.Histogram
	gradeDeliveries *prometheus.CounterVec
	jobDuration     *prometheus.HistogramVec
	jobRuns         *prometheus.CounterVec
}

// launchBuckets cover a launch's life: a few milliseconds when all is
// well, seconds when the database struggles.
var launchBuckets = []float64{.002, .005, .01, .02, .035, .05, .075, .1, .25, .5, 1, 2.5, 5}

// jobBuckets cover scheduled jobs: from an empty run to a long sync.
var jobBuckets = []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600}

// New returns the service's metrics, with the Go runtime and process
// collectors and, when db is not nil, the connection pool's statistics
// (go_sql_* with db_name="moodle").
func New(db *sql.DB) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.launches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "launches_total",
		Help: "LTI launches by outcome: success, invalid, unknown_tool, unauthorized, refused, unavailable, error.",
	}, []string{"outcome"})
	m.launchDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Name: "launch_duration_seconds",
		Help:    "Time from a launch's arrival to its answer (redirect or error), all outcomes.",
		Buckets: launchBuckets,
	})
	m.gradeDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "grade_deliveries_total",
		Help: "Grade deliveries to consumers by outcome: sent, deleted, retrying, failed, lost, released.",
	}, []string{"outcome"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "job_duration_seconds",
		Help:    "Duration of scheduled job runs, by job.",
		Buckets: jobBuckets,
	}, []string{"job"})
	m.jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "job_runs_total",
		Help: "Scheduled job runs by job and result: ok, failed, skipped (another replica ran it).",
	}, []string{"job", "result"})
	m.Registry.MustRegister(m.launches, m.launchDuration, m.gradeDeliveries, m.jobDuration, m.jobRuns,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		m.Registry.MustRegister(collectors.NewDBStatsCollector(db, "moodle"))
	}
	// Every outcome shows from the start, at 0, so rates work before the
	// first failure.
	for _, o := range LaunchOutcomes {
		m.launches.WithLabelValues(o)
	}
	for _, o := range DeliveryOutcomes {
		m.gradeDeliveries.WithLabelValues(o)
	}
	return m
}

// LaunchOutcomes are the values of launches_total's outcome label.
var LaunchOutcomes = []string{"success", "invalid", "unknown_tool", "unauthorized", "refused", "unavailable", "error"}

// DeliveryOutcomes are the values of grade_deliveries_total's outcome label.
var DeliveryOutcomes = []string{"sent", "deleted", "retrying", "failed", "lost", "released"}

// Launch records one launch (launch.Observer). An outcome outside
// LaunchOutcomes is counted as "error", so a bug cannot grow the label set.
func (m *Metrics) Launch(outcome string, took time.Duration) {
	m.launches.WithLabelValues(bounded(outcome, LaunchOutcomes, "error")).Inc()
	m.launchDuration.Observe(took.Seconds())
}

// GradeDeliveries adds n deliveries with one outcome.
func (m *Metrics) GradeDeliveries(outcome string, n int) {
	if n <= 0 {
		return
	}
	o := bounded(outcome, DeliveryOutcomes, "")
	if o == "" {
		return
	}
	m.gradeDeliveries.WithLabelValues(o).Add(float64(n))
}

// Job records one run of a scheduled job: result is ok, failed or skipped.
// Only runs that ran are timed.
func (m *Metrics) Job(job, result string, took time.Duration) {
	m.jobRuns.WithLabelValues(job, bounded(result, []string{"ok", "failed", "skipped"}, "failed")).Inc()
	if result != "skipped" {
		m.jobDuration.WithLabelValues(job).Observe(took.Seconds())
	}
}

// QueueCounter counts queued items by state; the metrics call it on every
// scrape, with a deadline.
type QueueCounter func(ctx context.Context) (map[string]int64, error)

// WatchGradeQueue exposes ltiprovider_grade_queue_depth{state} from count,
// read at scrape time. States must be a bounded set (the queue's states).
func (m *Metrics) WatchGradeQueue(count QueueCounter, log *slog.Logger) {
	m.Registry.MustRegister(&queueCollector{count: count, log: log, desc: prometheus.NewDesc(
		prometheus.BuildFQName(namespace, "grade", "queue_depth"),
		"Grades in the delivery queue by state, read from the database at scrape time.",
		[]string{"state"}, nil)})
}

type queueCollector struct {
	count QueueCounter
	log   *slog.Logger
	desc  *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		// A scrape must not fail because the database is slow; the gauge
		// is missing for this scrape instead.
		if c.log != nil {
			c.log.Warn("metrics: grade queue depth unavailable", "err", err)
		}
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}

func bounded(v string, allowed []string, otherwise string) string {
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	return otherwise
}
