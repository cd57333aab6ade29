// Command ltibench measures the service under load. It starts from
// nothing: a new database loaded with the Moodle 4.5.6 fixture (on the
// local MariaDB, a given server, or a throwaway mariadbd), one course tool,
// and the service, in this process or as the ltiprovider binary. It sends
// signed launches at a given concurrency, first launches of new users and
// launches of returning ones, and measures in the same run the database
// ceiling: the same launches' database work without HTTP or OAuth. It
// reports launches/s, latency percentiles, errors, CPU and peak memory,
// the ratio of launches/s to the ceiling, and grade delivery throughput
// against a fake consumer. `make bench` runs it; docs/performance.md
// records its figures.
//
//	go run ./cmd/ltibench                       # in process, local MariaDB
//	go run ./cmd/ltibench --binary bin/ltiprovider --json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/gradesync"
)

// options are the command line.
type options struct {
	concurrency int
	duration    time.Duration
	rounds      int
	warmup      time.Duration
	json        bool
	binary      string
	server      string
	throwaway   bool
	sessions    string
	dbSessions  bool
	maxConns    int
	pprof       bool
	cpuProfile  string
	keep        bool
	check       bool

	gomaxprocs      int
	grades          int
	consumerLatency time.Duration
	gradeWorkers    int
	gradePerHost    int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("ltibench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.concurrency, "concurrency", 8, "launches in flight at once")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of each phase in each round")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds of the four launch phases (interleaved, so a change in the machine's load hits all of them)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured launches before the rounds (connections, caches)")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON")
	fs.StringVar(&o.binary, "binary", "", "run this ltiprovider binary (`ltiprovider serve`) as the service instead of serving in process")
	fs.StringVar(&o.server, "mariadb", "", "DSN of a MariaDB/MySQL server where ltibench may create and drop a database (default: root on 127.0.0.1:3306, else a throwaway mariadbd)")
	fs.BoolVar(&o.throwaway, "throwaway", false, "start a mariadbd of ltibench's own (durable like a production server; no other clients)")
	fs.StringVar(&o.sessions, "session-strategy", "", "session.strategy of the service (default auto: the fixture keeps sessions in files)")
	fs.BoolVar(&o.dbSessions, "dbsessions", false, "turn Moodle's dbsessions setting on: sessions in the database instead of files")
	fs.IntVar(&o.maxConns, "db-max-open-conns", 20, "db.max_open_conns of the service")
	fs.BoolVar(&o.pprof, "pprof", false, "serve pprof on the service's metrics address")
	fs.IntVar(&o.gomaxprocs, "gomaxprocs", 0, "GOMAXPROCS of the service and of the ceiling's launches (0: Go's default, the number of CPUs)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the service during the measured launches to this file")
	fs.BoolVar(&o.keep, "keep", false, "keep the database and data folder afterwards")
	fs.BoolVar(&o.check, "check", false, "exit with status 3 when a target is missed")
	fs.IntVar(&o.grades, "grades", 1000, "grades to deliver in the grade delivery phase (0 skips it)")
	fs.DurationVar(&o.consumerLatency, "consumer-latency", 20*time.Millisecond, "how long the fake consumer takes to answer each outcome request")
	fs.IntVar(&o.gradeWorkers, "grade-workers", gradesync.DefaultWorkers, "sync.workers: outcome requests in flight at once")
	fs.IntVar(&o.gradePerHost, "grade-per-host", gradesync.DefaultPerHost, "sync.per_host: outcome requests in flight to one consumer host")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.concurrency < 1 || o.rounds < 1 || o.duration <= 0 {
		fmt.Fprintln(stderr, "ltibench: --concurrency, --rounds and --duration must be positive")
		return 2
	}
	if o.cpuProfile != "" && o.binary != "" {
		o.pprof = true // the child's profile comes from its pprof endpoint
	}
	progress := stdout
	if o.json {
		progress = stderr
	}
	rep, err := measure(ctx, o, progress)
	if err != nil {
		fmt.Fprintln(stderr, "ltibench:", err)
		return 1
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.print(stdout)
	}
	if o.check && !rep.TargetsMet {
		return 3
	}
	return 0
}
