package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/gradesync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/jobs"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/membersync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/picture"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

const syncUsage = `Usage: ltiprovider sync <job> [flags]

Jobs:
  grades        work out and send grades (--tool, --user, --once, --dry-run, --force)
  members       sync course members from the consumers (--tool, --once, --dry-run, --force)
  housekeeping  remove expired nonces, orphaned queue rows and old member log entries (--once)
  report        the grade passback report of a tool (--tool, --user, --json)
  resend        send the current grades again on the next run (--tool, and --user or --all; --now runs it)

Without --once, grades, members and housekeeping run on their schedules until stopped,
for sites that run jobs apart from serve. Every run holds the job's database lock, so it
never overlaps a run of serve or of another replica.`

// syncJobs are what `ltiprovider sync` runs.
var syncJobs = []string{"grades", "members", "housekeeping", "report", "resend"}

// syncFlags are the flags of `ltiprovider sync`.
type syncFlags struct {
	tools, users idList
	once, dry    bool
	force, all   bool
	now, json    bool
}

func (f *syncFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.tools, "tool", "tool id(s), comma-separated")
	fs.Var(&f.users, "user", "Moodle user id(s), comma-separated")
	fs.BoolVar(&f.once, "once", false, "run once and exit (for system cron)")
	fs.BoolVar(&f.dry, "dry-run", false, "print what would be done; change and send nothing")
	fs.BoolVar(&f.force, "force", false, "grades: send even values the consumer has; members: ignore syncperiod")
	fs.BoolVar(&f.all, "all", false, "resend: every user of the tool")
	fs.BoolVar(&f.now, "now", false, "resend: run the grade job for them now")
	fs.BoolVar(&f.json, "json", false, "report: JSON instead of a table")
}

func cmdSync(ctx context.Context, c *cli) error {
	if len(c.args) == 0 || c.args[0] == "-h" || c.args[0] == "--help" || c.args[0] == "help" {
		fmt.Fprintln(c.stdout, syncUsage)
		if len(c.args) == 0 {
			return errUsage
		}
		return nil
	}
	sub := c.args[0]
	if !slices.Contains(syncJobs, sub) {
		fmt.Fprintf(c.stderr, "ltiprovider sync: unknown job %q\n\n%s\n", sub, syncUsage)
		return errUsage
	}
	c.args = c.args[1:]
	c.flags.Init("ltiprovider sync "+sub, flag.ContinueOnError)
	var f syncFlags
	cfg, log, db, err := c.connect(ctx, f.register)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "grades":
		return syncGrades(ctx, c, cfg, log, db, f)
	case "members":
		if len(f.users) > 0 {
			fmt.Fprintln(c.stderr, "ltiprovider sync members: --user applies to grades only")
			return errUsage
		}
		return syncMembers(ctx, c, cfg, log, db, f)
	case "housekeeping":
		run := func(ctx context.Context) (jobs.Result, error) { return jobs.Housekeeping(ctx, db, time.Now()) }
		return runJob(ctx, c, log, db, "housekeeping", cfg.Schedule.Housekeeping, f.once, run)
	case "report":
		return syncReport(ctx, c, db, f)
	case "resend":
		return syncResend(ctx, c, db, gradeJob(cfg, log, db), f)
	}
	panic("unhandled sync job " + sub) // syncJobs lists only handled jobs
}

func syncGrades(ctx context.Context, c *cli, cfg *config.Config, log *slog.Logger, db *database.DB, f syncFlags) error {
	job := gradeJob(cfg, log, db)
	o := gradesync.Options{ToolIDs: f.tools, UserIDs: f.users, Force: f.force, DryRun: f.dry}
	if f.dry {
		res, err := job.Run(ctx, o)
		printPlan(c.stdout, res)
		return err
	}
	run := func(ctx context.Context) (jobs.Result, error) { return job.Run(ctx, o) }
	return runJob(ctx, c, log, db, "grades", cfg.Schedule.Grades, f.once, run)
}

func syncMembers(ctx context.Context, c *cli, cfg *config.Config, log *slog.Logger, db *database.DB, f syncFlags) error {
	o := membersync.Options{ToolIDs: f.tools, Force: f.force, DryRun: f.dry}
	var pictures *picture.Updater
	if !f.dry {
		// Members' pictures are fetched as serve's scheduled sync does; the
		// command waits for those queued before it exits.
		pictures = newPictureUpdater(cfg, log, db)
	}
	if pictures != nil {
		defer func() {
			// Ctrl-C stops the downloads too.
			fctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			if err := pictures.Finish(fctx); err != nil {
				log.Warn("profile pictures not all fetched", "err", err)
			}
		}()
	}
	s := memberSyncer(cfg, log, db, pictures)
	if f.dry {
		res, err := s.Run(ctx, o)
		printMembers(c.stdout, res)
		fmt.Fprintln(c.stdout, "dry run: nothing was written")
		return err
	}
	run := func(ctx context.Context) (jobs.Result, error) {
		res, err := s.Run(ctx, o)
		if f.once {
			printMembers(c.stdout, res)
		}
		return res, err
	}
	return runJob(ctx, c, log, db, "members", cfg.Schedule.Members, f.once, run)
}

func printMembers(w io.Writer, res membersync.Result) {
	for _, t := range res.Tools {
		if t.Status == "skipped" {
			fmt.Fprintf(w, "tool %d: not due (syncperiod)\n", t.ToolID)
			continue
		}
		fmt.Fprintf(w, "tool %d: %s, %d members, %d created, %d enrolled, %d unenrolled, %d not enrolled\n",
			t.ToolID, t.Status, t.Members, t.Created, t.Enrolled, t.Unenrolled, t.Skipped)
		for _, l := range t.Lines {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// runJob runs a job once (--once) or on its schedule until ctx ends.
func runJob(ctx context.Context, c *cli, log *slog.Logger, db *database.DB, name, spec string, once bool, run func(context.Context) (jobs.Result, error)) error {
	if !once {
		if spec == config.ScheduleOff {
			return fmt.Errorf("schedule.%s is off; use --once to run it by hand", name)
		}
		s, err := startScheduler(log, db, []jobs.Job{{Name: name, Spec: spec, Run: run}}, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "running %s on %q until stopped\n", name, spec)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return s.Stop(sctx)
	}
	res, err := jobs.RunLocked(ctx, db, name, 10*time.Second, run)
	if errors.Is(err, jobs.ErrBusy) {
		return fmt.Errorf("%s is running elsewhere (serve or another replica); try again later", name)
	}
	if res != nil {
		if s, ok := res.(interface{ Summary() string }); ok {
			fmt.Fprintln(c.stdout, s.Summary())
		} else {
			fmt.Fprintf(c.stdout, "%+v\n", res)
		}
	}
	return err
}

func printPlan(w io.Writer, res gradesync.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOL\tUSER\tACTION\tSCORE\tCONSUMER HAS\tWHY\tSERVICE")
	for _, p := range res.Plan.Planned {
		action, why := p.Action, p.Hold
		if action == "" {
			action = "-"
		}
		if p.Shown != "" && why == "" {
			why = p.Shown
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", p.ToolID, p.UserID, action, dash(p.Score), dash(p.Previous), dash(why), hostOf(p.Target.ServiceURL))
	}
	tw.Flush()
	fmt.Fprintf(w, "dry run: %s; nothing was written or sent\n", res.Summary())
}

func syncReport(ctx context.Context, c *cli, db *database.DB, f syncFlags) error {
	if len(f.tools) != 1 {
		fmt.Fprintln(c.stderr, "ltiprovider sync report: give one --tool")
		return errUsage
	}
	rows, err := store.GradeReport(ctx, db, f.tools[0], f.users...)
	if err != nil {
		return err
	}
	if f.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reportJSON(rows))
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tNAME\tSTATE\tNOW\tDELIVERED\tAT\tATTEMPTS\tNEXT\tWAITING FOR\tERROR")
	for _, r := range rows {
		next := "-"
		if r.State == store.GradePending && r.NextAttempt > 0 {
			next = stamp(r.NextAttempt)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.UserID, dash(strings.TrimSpace(r.Firstname+" "+r.Lastname)),
			r.State, dash(r.Score.String), dash(r.SentScore.String), stamp(r.TimeSent), r.Attempts, next, dash(r.Hold), dash(r.LastError.String))
	}
	tw.Flush()
	if len(rows) == 0 {
		fmt.Fprintln(c.stdout, "no grade targets yet: the tool's users have not launched with an outcome service, or the grade job has not run")
	}
	return nil
}

// reportEntry is the JSON form of a report line.
type reportEntry struct {
	UserID      int64  `json:"userid"`
	Username    string `json:"username"`
	Name        string `json:"name"`
	State       string `json:"state"`
	Score       string `json:"score,omitempty"`
	SentScore   string `json:"sentscore,omitempty"`
	TimeSent    int64  `json:"timesent,omitempty"`
	Attempts    int    `json:"attempts"`
	NextAttempt int64  `json:"nextattempt,omitempty"`
	Hold        string `json:"waitingfor,omitempty"`
	Error       string `json:"error,omitempty"`
	TimeError   int64  `json:"timeerror,omitempty"`
	ServiceURL  string `json:"serviceurl"`
	Resend      bool   `json:"resend,omitempty"`
}

func reportJSON(rows []store.GradeReportRow) []reportEntry {
	out := []reportEntry{}
	for _, r := range rows {
		e := reportEntry{UserID: r.UserID, Username: r.Username, Name: strings.TrimSpace(r.Firstname + " " + r.Lastname),
			State: r.State, Score: r.Score.String, SentScore: r.SentScore.String, TimeSent: r.TimeSent, Attempts: r.Attempts,
			Hold: r.Hold, Error: r.LastError.String, TimeError: r.TimeError, ServiceURL: redactQuery(r.ServiceURL), Resend: r.Resend}
		if r.State == store.GradePending {
			e.NextAttempt = r.NextAttempt
		}
		out = append(out, e)
	}
	return out
}

func syncResend(ctx context.Context, c *cli, db *database.DB, job *gradesync.Job, f syncFlags) error {
	if len(f.tools) != 1 || (len(f.users) == 0) == !f.all {
		fmt.Fprintln(c.stderr, "ltiprovider sync resend: give one --tool, and --user or --all")
		return errUsage
	}
	n, err := store.ResendGrades(ctx, db, f.tools[0], f.users, time.Now().Unix())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%d grade(s) marked to be sent again\n", n)
	if !f.now {
		fmt.Fprintln(c.stdout, "they go with the next grade run (or run `ltiprovider sync grades --once`)")
		return nil
	}
	o := gradesync.Options{ToolIDs: f.tools, UserIDs: f.users}
	res, err := jobs.RunLocked(ctx, db, "grades", 10*time.Second, func(ctx context.Context) (jobs.Result, error) { return job.Run(ctx, o) })
	if errors.Is(err, jobs.ErrBusy) {
		fmt.Fprintln(c.stdout, "a grade run is in progress elsewhere; the marked grades go with the next one")
		return nil
	}
	if res != nil {
		fmt.Fprintln(c.stdout, res.(gradesync.Result).Summary())
	}
	return err
}

// idList is a flag of comma-separated positive ids.
type idList []int64

func (l *idList) String() string {
	s := make([]string, len(*l))
	for i, id := range *l {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

func (l *idList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("%q is not an id", p)
		}
		*l = append(*l, id)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stamp(t int64) string {
	if t == 0 {
		return "-"
	}
	return time.Unix(t, 0).Format("2006-01-02 15:04:05")
}

func hostOf(raw string) string {
	s := raw
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

// redactQuery drops a URL's query, which may carry tokens.
func redactQuery(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}
