// Package metrics is the service's Prometheus instrumentation and its
// separate listener: /metrics, and net/http/pprof when the administrator
// turns it on. It is served on metrics.listen only, never on the address
// Moodle's web server proxies.
//
// Business packages do not import it. Each declares the small interface it
// reports to (launch.Observer, …) and *Metrics implements them; the serve
// command wires the two. Label values are bounded sets (outcomes, job
// names, queue states): never user ids, URLs or tool ids.
//
// The exposition library is github.com/prometheus/client_golang, the
// reference implementation of the Prometheus format, maintained by the
// Prometheus project; it also gives the standard Go runtime, process and
// database/sql pool collectors, so dashboards made for any Go service work.
// docs/monitoring.md lists the metrics for administrators.
package metrics
