package membersync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Provisioner gives one roster member their Moodle user and place in the
// tool's course exactly as a launch would (pkg/provision): find or create
// the user (the plugin's usernames, the profile update policy), enrol with
// the tool's rules (enrolinst/enrollearn, dates, period, maxenrolled,
// course and activity roles), add to the tool's group, and record the
// member's local_ltiprovider_user row.
type Provisioner interface {
	// Provision runs inside tx. A refusal (account suspended, enrolment
	// closed, course full) is a *Refusal; the caller rolls back.
	Provision(ctx context.Context, tx *database.Tx, req Request) (Provisioned, error)
	// FindUser returns the Moodle user of a consumer's user_id, 0 when
	// there is none; it writes nothing.
	FindUser(ctx context.Context, q database.Querier, consumerKey, userID string) (int64, error)
}

// Request is one member to provision.
type Request struct {
	Tool        *store.Tool
	ConsumerKey string
	Member      Member
	// Enrol: the tool's sync mode enrols new members.
	Enrol bool
	Now   time.Time
}

// Provisioned says what Provision did.
type Provisioned struct {
	UserID   int64
	Created  bool // a new Moodle user
	Enrolled bool // a new enrolment
}

// Refusal is why a member could not be given a place, in words for the
// administrator; nothing was written.
type Refusal struct{ Msg string }

func (r *Refusal) Error() string { return r.Msg }

// Syncer runs membership sync.
type Syncer struct {
	DB          *database.DB
	Fetcher     *Fetcher
	Provisioner Provisioner
	// Forced is config.php's $CFG values, applied over Moodle's config.
	Forced moodle.Forced
	Log    *slog.Logger
	Now    func() time.Time
}

// Options narrow or change a run.
type Options struct {
	ToolIDs []int64
	// Force syncs tools whose syncperiod has not passed.
	Force bool
	// DryRun reads the rosters and reports what would change, writing
	// nothing.
	DryRun bool
}

// ToolResult is what one tool's sync did.
type ToolResult struct {
	ToolID     int64
	Status     string // ok, partial (some members refused), failed, or skipped (not due)
	Members    int
	Created    int
	Enrolled   int
	Unenrolled int
	Skipped    int      // members refused, or left alone
	Lines      []string // what happened to whom, and problems
	Err        error
}

// Result is what a run did.
type Result struct {
	Tools []ToolResult
}

// Empty reports whether no tool was synced.
func (r Result) Empty() bool {
	for _, t := range r.Tools {
		if t.Status != "skipped" {
			return false
		}
	}
	return true
}

// Summary says in one line what the run did.
func (r Result) Summary() string {
	var synced, failed, created, enrolled, unenrolled, skipped int
	for _, t := range r.Tools {
		switch t.Status {
		case "skipped":
			continue
		case "failed":
			failed++
		}
		synced++
		created += t.Created
		enrolled += t.Enrolled
		unenrolled += t.Unenrolled
		skipped += t.Skipped
	}
	if synced == 0 {
		return "no tool was due"
	}
	return fmt.Sprintf("%d tool(s) synced (%d failed): %d users created, %d enrolled, %d unenrolled, %d members not enrolled",
		synced, failed, created, enrolled, unenrolled, skipped)
}

// LogValue is how a result appears in logs.
func (r Result) LogValue() slog.Value { return slog.StringValue(r.Summary()) }

// retryAfterFailure is how soon a tool whose roster could not be read is
// tried again, when its syncperiod is longer.
const retryAfterFailure = 30 * time.Minute

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Syncer) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Run syncs every enabled tool with member sync on whose syncperiod has
// passed (every one with Force), or the tools named.
func (s *Syncer) Run(ctx context.Context, o Options) (Result, error) {
	var res Result
	tools, err := s.tools(ctx, o.ToolIDs)
	if err != nil {
		return res, err
	}
	var errs []error
	for i := range tools {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		tr := s.syncTool(ctx, &tools[i], o)
		res.Tools = append(res.Tools, tr)
		if tr.Err != nil && !errors.Is(tr.Err, ErrFetch) {
			errs = append(errs, tr.Err)
		}
	}
	return res, errors.Join(errs...)
}

// ErrNoSuchTool: a tool named does not exist or does not sync members.
var ErrNoSuchTool = errors.New("membersync: no such tool syncing members")

func (s *Syncer) tools(ctx context.Context, ids []int64) ([]store.Tool, error) {
	syncs := func(t *store.Tool) bool {
		return !t.Disabled && t.SyncMembers && t.SyncMode >= store.SyncEnrolAndUnenrol && t.SyncMode <= store.SyncUnenrolMissing
	}
	if len(ids) == 0 {
		all, err := store.ListTools(ctx, s.DB)
		if err != nil {
			return nil, err
		}
		var out []store.Tool
		for _, t := range all {
			if syncs(&t) {
				out = append(out, t)
			}
		}
		return out, nil
	}
	var out []store.Tool
	for _, id := range ids {
		t, err := store.GetTool(ctx, s.DB, id)
		if errors.Is(err, database.ErrNotFound) {
			return nil, fmt.Errorf("%w: tool %d does not exist", ErrNoSuchTool, id)
		} else if err != nil {
			return nil, err
		}
		if !syncs(t) {
			return nil, fmt.Errorf("%w: tool %d is disabled, does not sync members, or has no sync mode", ErrNoSuchTool, id)
		}
		out = append(out, *t)
	}
	return out, nil
}

// syncTool syncs one tool and records its status.
func (s *Syncer) syncTool(ctx context.Context, tool *store.Tool, o Options) ToolResult {
	tr := ToolResult{ToolID: tool.ID}
	start := s.now()
	last, err := store.LastMemberSync(ctx, s.DB, tool.ID)
	if err != nil {
		tr.Status, tr.Err = "failed", err
		return tr
	}
	if !o.Force && last+tool.SyncPeriod > start.Unix() {
		tr.Status = "skipped"
		return tr
	}
	s.sync(ctx, tool, o, &tr)
	if o.DryRun {
		return tr
	}
	next := start.Unix()
	if tr.Status == "failed" && tool.SyncPeriod > int64(retryAfterFailure/time.Second) {
		// Try a roster that could not be read again soon, not after a day.
		next = start.Unix() - tool.SyncPeriod + int64(retryAfterFailure/time.Second)
	}
	st := &store.MemberSyncStatus{ToolID: tool.ID, TimeStarted: start.Unix(), TimeFinished: s.now().Unix(), Status: tr.Status,
		Members: int64(tr.Members), Created: int64(tr.Created), Enrolled: int64(tr.Enrolled), Unenrolled: int64(tr.Unenrolled),
		Skipped: int64(tr.Skipped)}
	if tr.Err != nil {
		st.Error = sql.NullString{String: tr.Err.Error(), Valid: true}
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := store.SaveMemberSyncStatus(wctx, s.DB, st); err != nil {
		s.log().Error("member sync: saving status", "tool", tool.ID, "err", err)
	}
	if ctx.Err() == nil {
		if err := store.SetLastMemberSync(wctx, s.DB, tool.ID, next); err != nil {
			s.log().Error("member sync: saving time", "tool", tool.ID, "err", err)
		}
	}
	return tr
}

// roster is what the sources of one consumer key gave.
type roster struct {
	key     string
	members []Member
	failed  bool
}

func (s *Syncer) sync(ctx context.Context, tool *store.Tool, o Options, tr *ToolResult) {
	course, err := toolCourse(ctx, s.DB, tool)
	if err != nil {
		tr.Status, tr.Err = "failed", err
		return
	}
	sources, err := store.MembershipSources(ctx, s.DB, tool.ID)
	if err != nil {
		tr.Status, tr.Err = "failed", err
		return
	}
	if len(sources) == 0 {
		tr.Status = "ok"
		tr.Lines = append(tr.Lines, "no memberships service yet: no launch of this tool has sent ext_ims_lis_memberships_url")
		return
	}
	// Read every roster first; a consumer key's members are the union of
	// its contexts' rosters.
	byKey := map[string]*roster{}
	var keys []string
	for _, src := range sources {
		r := byKey[src.ConsumerKey]
		if r == nil {
			r = &roster{key: src.ConsumerKey}
			byKey[src.ConsumerKey] = r
			keys = append(keys, src.ConsumerKey)
		}
		secret := tool.Secret
		if secret == "" {
			secret = src.LegacySecret
		}
		members, err := s.Fetcher.Fetch(ctx, Source{URL: src.URL, ID: src.ID, ConsumerKey: src.ConsumerKey, Secret: secret})
		if err != nil {
			r.failed = true
			tr.Err = err
			tr.Lines = append(tr.Lines, fmt.Sprintf("roster of %s (key %s) not read: %v", hostOf(src.URL), src.ConsumerKey, err))
			continue
		}
		r.members = append(r.members, members...)
	}
	for _, k := range keys {
		if ctx.Err() != nil {
			tr.Status, tr.Err = "failed", ctx.Err()
			return
		}
		s.syncKey(ctx, tool, course, byKey[k], o, tr)
	}
	switch {
	case tr.Err != nil:
		tr.Status = "failed"
	case tr.Skipped > 0:
		tr.Status = "partial"
	default:
		tr.Status = "ok"
	}
}

// syncKey enrols one consumer's members and unenrols those it no longer
// lists.
func (s *Syncer) syncKey(ctx context.Context, tool *store.Tool, course moodle.Context, r *roster, o Options, tr *ToolResult) {
	members := dedupe(r.members)
	tr.Members += len(members)
	enrol := tool.SyncMode == store.SyncEnrolAndUnenrol || tool.SyncMode == store.SyncEnrolNew
	current := map[int64]bool{}
	for _, m := range members {
		if ctx.Err() != nil {
			return
		}
		uid, err := s.Provisioner.FindUser(ctx, s.DB, r.key, m.UserID)
		if err != nil {
			tr.Err = err
			return
		}
		if uid != 0 {
			current[uid] = true
		}
		// Unenrol-only mode creates nobody and enrols nobody; known
		// members still count as current.
		if !enrol && uid == 0 {
			continue
		}
		if o.DryRun {
			if uid == 0 {
				tr.Created++
				tr.Lines = append(tr.Lines, fmt.Sprintf("would create and enrol %s", describe(m)))
			}
			continue
		}
		var got Provisioned
		err = s.DB.WithTx(ctx, func(tx *database.Tx) error {
			var err error
			got, err = s.Provisioner.Provision(ctx, tx, Request{Tool: tool, ConsumerKey: r.key, Member: m, Enrol: enrol, Now: s.now()})
			if err != nil {
				return err
			}
			return s.logMember(ctx, tx, tool, course, got, m)
		})
		var refusal *Refusal
		switch {
		case errors.As(err, &refusal):
			tr.Skipped++
			tr.Lines = append(tr.Lines, fmt.Sprintf("%s not enrolled: %s", describe(m), refusal.Msg))
			continue
		case err != nil:
			tr.Err = fmt.Errorf("member %s: %w", describe(m), err)
			return
		}
		current[got.UserID] = true
		if got.Created {
			tr.Created++
		}
		if got.Enrolled {
			tr.Enrolled++
			tr.Lines = append(tr.Lines, fmt.Sprintf("enrolled %s (user %d)", describe(m), got.UserID))
		}
	}
	if tool.SyncMode == store.SyncEnrolNew {
		return
	}
	// Unenrolment only on a complete and non-empty roster: a consumer that
	// failed, or answered with nobody, must not empty the course.
	switch {
	case r.failed:
		tr.Lines = append(tr.Lines, fmt.Sprintf("nobody unenrolled for key %s: a roster could not be read", r.key))
		return
	case len(members) == 0:
		tr.Lines = append(tr.Lines, fmt.Sprintf("nobody unenrolled for key %s: the consumer listed no members", r.key))
		return
	}
	s.unenrolMissing(ctx, tool, course, r.key, current, o, tr)
}

// unenrolMissing unenrols the users this service brought into the course
// for the consumer key who are not in its roster any more.
func (s *Syncer) unenrolMissing(ctx context.Context, tool *store.Tool, course moodle.Context, key string, current map[int64]bool, o Options, tr *ToolResult) {
	candidates, err := UnenrolCandidates(ctx, s.DB, tool, course.InstanceID, key)
	if err != nil {
		tr.Err = err
		return
	}
	site, err := moodle.LoadSite(ctx, s.DB, s.Forced)
	if err != nil {
		tr.Err = err
		return
	}
	logStore, err := moodle.LoadLogStore(ctx, s.DB, site)
	if err != nil {
		tr.Err = err
		return
	}
	for _, uid := range candidates {
		if current[uid] || site.IsSiteAdmin(uid) {
			continue
		}
		if o.DryRun {
			tr.Unenrolled++
			tr.Lines = append(tr.Lines, fmt.Sprintf("would unenrol user %d", uid))
			continue
		}
		now := s.now().Unix()
		var removed bool
		err := s.DB.WithTx(ctx, func(tx *database.Tx) error {
			var err error
			removed, err = moodle.UnenrolFromManual(ctx, tx, site, moodle.Unenrolment{Course: course, UserID: uid,
				Origin: "cli", Time: now, Log: logStore})
			if err != nil || !removed {
				return err
			}
			return store.LogMember(ctx, tx, store.MemberLogEntry{ToolID: tool.ID, CourseID: course.InstanceID, UserID: uid,
				Action: store.MemberUnenrolled, Detail: "not in the roster of consumer key " + key, TimeCreated: now})
		})
		if err != nil {
			tr.Err = fmt.Errorf("unenrolling user %d: %w", uid, err)
			return
		}
		if removed {
			tr.Unenrolled++
			tr.Lines = append(tr.Lines, fmt.Sprintf("unenrolled user %d: not in the roster any more", uid))
			s.log().Info("member sync: unenrolled", "tool", tool.ID, "course", course.InstanceID, "user", uid)
		}
	}
}

// UnenrolCandidates returns the users a tool's sync may unenrol from its
// course for a consumer key: LTI accounts (usernames the service makes)
// with a local_ltiprovider_user row of this tool and key, holding an
// enrolment of the course's manual instance, and brought into the course
// by no other consumer key (no row of another key for any tool of the
// course). Local teachers and students, and anyone another consumer
// brought in, are never among them.
func UnenrolCandidates(ctx context.Context, q database.Querier, tool *store.Tool, courseID int64, key string) ([]int64, error) {
	var ids []int64
	err := q.Select(ctx, &ids, `SELECT DISTINCT lu.userid FROM {local_ltiprovider_user} lu
		JOIN {user} u ON u.id = lu.userid AND u.deleted = 0 AND u.username LIKE 'ltiprovider%'
		JOIN {user_enrolments} ue ON ue.userid = lu.userid
		JOIN {enrol} e ON e.id = ue.enrolid AND e.courseid = ? AND e.enrol = 'manual'
		WHERE lu.toolid = ? AND COALESCE(lu.consumerkey, '') = ?
		  AND NOT EXISTS (SELECT 1 FROM {local_ltiprovider_user} o JOIN {local_ltiprovider} t ON t.id = o.toolid
		                   WHERE o.userid = lu.userid AND t.courseid = ? AND COALESCE(o.consumerkey, '') <> ?)
		ORDER BY lu.userid`, courseID, tool.ID, key, courseID, key)
	if err != nil {
		return nil, fmt.Errorf("users to check in course %d: %w", courseID, err)
	}
	return ids, nil
}

func (s *Syncer) logMember(ctx context.Context, q database.Querier, tool *store.Tool, course moodle.Context, got Provisioned, m Member) error {
	now := s.now().Unix()
	for _, e := range []struct {
		on     bool
		action string
	}{{got.Created, store.MemberCreated}, {got.Enrolled, store.MemberEnrolled}} {
		if !e.on {
			continue
		}
		if err := store.LogMember(ctx, q, store.MemberLogEntry{ToolID: tool.ID, CourseID: course.InstanceID, UserID: got.UserID,
			Action: e.action, Detail: "member " + m.UserID + " of the consumer's roster", TimeCreated: now}); err != nil {
			return err
		}
	}
	return nil
}

// toolCourse is the context of the course a tool enrols into: the tool's
// course, or the course of its activity.
func toolCourse(ctx context.Context, q database.Querier, tool *store.Tool) (moodle.Context, error) {
	c, err := moodle.GetContext(ctx, q, tool.ContextID)
	if err != nil {
		return c, fmt.Errorf("tool %d: its course or activity is gone: %w", tool.ID, err)
	}
	switch c.Level {
	case moodle.ContextCourse:
		return c, nil
	case moodle.ContextModule:
		cm, err := moodle.GetCourseModule(ctx, q, c.InstanceID)
		if err != nil {
			return c, fmt.Errorf("tool %d: its activity is gone: %w", tool.ID, err)
		}
		return moodle.ContextOf(ctx, q, moodle.ContextCourse, cm.Course)
	}
	return c, fmt.Errorf("tool %d: context %d is not a course or activity", tool.ID, c.ID)
}

func dedupe(ms []Member) []Member {
	seen := map[string]bool{}
	var out []Member
	for _, m := range ms {
		if !seen[m.UserID] {
			seen[m.UserID] = true
			out = append(out, m)
		}
	}
	return out
}

// describe names a member in messages without more personal data than
// needed.
func describe(m Member) string {
	name := strings.TrimSpace(m.GivenName + " " + m.FamilyName)
	if name == "" {
		name = strings.TrimSpace(m.FullName)
	}
	if name == "" {
		return "member " + m.UserID
	}
	return fmt.Sprintf("%s (member %s)", name, m.UserID)
}
