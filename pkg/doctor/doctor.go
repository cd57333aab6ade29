package doctor

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// Status is the outcome of a check.
type Status string

const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	// Skip: the check could not run because something it needs failed.
	Skip Status = "SKIP"
)

// Result is what one check found.
type Result struct {
	Status Status
	Detail string // what was seen
	Hint   string // how to fix a failure
}

// Env is what checks look at. DB and Site are nil when the database could
// not be reached; DBErr says why.
type Env struct {
	Config *config.Config
	DB     *database.DB
	DBErr  error
	Site   *moodle.Site
}

// Check is one line of the report.
type Check struct {
	Name string
	Run  func(ctx context.Context, e *Env) Result
}

// Report runs the checks in order, writes one line per check (and an
// indented hint under each failure) and returns how many failed.
func Report(ctx context.Context, e *Env, checks []Check, w io.Writer) int {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	failed := 0
	for _, c := range checks {
		r := c.Run(ctx, e)
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Status, c.Name, r.Detail)
		if r.Status == Fail {
			failed++
			if r.Hint != "" {
				fmt.Fprintf(tw, "\t\thint: %s\n", r.Hint)
			}
		}
	}
	tw.Flush()
	return failed
}

func pass(format string, args ...any) Result {
	return Result{Status: Pass, Detail: fmt.Sprintf(format, args...)}
}

func fail(hint, format string, args ...any) Result {
	return Result{Status: Fail, Detail: fmt.Sprintf(format, args...), Hint: hint}
}

func skip(why string) Result { return Result{Status: Skip, Detail: why} }

// needDB skips a check when the database or Moodle's config is missing.
func needDB(e *Env) (Result, bool) {
	if e.DB == nil {
		return skip("needs the database"), false
	}
	if e.Site == nil {
		return skip("needs Moodle's config table"), false
	}
	return Result{}, true
}
