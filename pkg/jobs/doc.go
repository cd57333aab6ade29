// Package jobs runs the service's background jobs (grade passback,
// membership sync, housekeeping) on cron schedules, one run at a time
// across every replica: each run holds a MySQL named lock, a run still
// going when the next is due makes that one skip (robfig/cron's
// SkipIfStillRunning), a panic is recovered and logged, and Stop cancels
// the runs and waits for them.
//
// A job is a plain function returning a typed result; the scheduler only
// triggers it. cmd/ltiprovider builds the jobs (serve schedules them,
// `ltiprovider sync` runs one by hand through RunLocked).
package jobs
