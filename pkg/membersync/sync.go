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
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/lti11"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/picture"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/provision"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Syncer runs membership sync.
type Syncer struct {
	DB      *database.DB
	Fetcher *Fetcher
	// Forced is config.php's $CFG values, applied over Moodle's config.
	Forced moodle.Forced
	// DataRoot is Moodle's dataroot when readable here (installed language
	// packs, for new users' language); AppCache is Moodle's application
	// cache store when reachable, to drop entries a change made stale.
	DataRoot string
	AppCache *moodle.FileAppCache
	// Pictures, when set, fetches members' pictures (user_image) in the
	// background as for launches; the plugin synced photos after members.
	Pictures PictureUpdater
	Log      *slog.Logger
	Now      func() time.Time
}

// PictureUpdater takes a picture to fetch for a committed user, waiting
// for room in its queue; *picture.Updater is one.
type PictureUpdater interface {
	Queue(context.Context, picture.Request) error
}

// env is what provisioning needs, read once per run.
type env struct {
	site     *moodle.Site
	settings *settings.Site
	logs     moodle.LogStore
}

func (s *Syncer) loadEnv(ctx context.Context) (*env, error) {
	site, err := moodle.LoadSite(ctx, s.DB, s.Forced)
	if err != nil {
		return nil, err
	}
	st, err := settings.Load(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	logs, err := moodle.LoadLogStore(ctx, s.DB, site)
	if err != nil {
		return nil, err
	}
	return &env{site: site, settings: st, logs: logs}, nil
}

// provisionEnv is a launch's environment for a change made now by the
// service itself (nobody logged in, origin cli).
func (s *Syncer) provisionEnv(e *env, caches moodle.CacheInvalidator) provision.Env {
	return provision.Env{Site: e.site, Settings: e.settings, DataRoot: s.DataRoot,
		Actor: moodle.Actor{Origin: "cli", Time: s.now().Unix(), Log: e.logs, Caches: caches}}
}

// inTx runs fn in a transaction and drops the Moodle cache entries it made
// stale once it commits.
func (s *Syncer) inTx(ctx context.Context, fn func(tx *database.Tx, caches moodle.CacheInvalidator) error) error {
	pending := &moodle.PendingInvalidations{}
	err := s.DB.WithTx(ctx, func(tx *database.Tx) error {
		pending.Reset()
		return fn(tx, pending)
	})
	if err == nil {
		pending.Apply(s.AppCache)
	}
	return err
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
	e, err := s.loadEnv(ctx)
	if err != nil {
		return res, err
	}
	var errs []error
	for i := range tools {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		tr := s.syncTool(ctx, e, &tools[i], o)
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
	tools, err := store.SelectTools(ctx, s.DB, ids, func(t *store.Tool) bool {
		return !t.Disabled && t.SyncMembers && t.SyncMode >= store.SyncEnrolAndUnenrol && t.SyncMode <= store.SyncUnenrolMissing
	})
	var ns *store.ToolNotSelected
	if errors.As(err, &ns) && !ns.Missing {
		return nil, fmt.Errorf("%w: tool %d is disabled, does not sync members, or has no sync mode", ErrNoSuchTool, ns.ID)
	} else if ns != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoSuchTool, ns)
	}
	return tools, err
}

// syncTool syncs one tool and records its status.
func (s *Syncer) syncTool(ctx context.Context, e *env, tool *store.Tool, o Options) ToolResult {
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
	s.sync(ctx, e, tool, o, &tr)
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

func (s *Syncer) sync(ctx context.Context, e *env, tool *store.Tool, o Options, tr *ToolResult) {
	place, err := toolPlace(ctx, s.DB, tool)
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
		// A tool that binds its consumer keys accepts rosters of those only
		// (the identity namespace is the key).
		bound, total, err := store.ConsumerKeyBound(ctx, s.DB, tool.ID, src.ConsumerKey)
		if err != nil {
			tr.Status, tr.Err = "failed", err
			return
		}
		if total > 0 && !bound {
			r.failed = true
			tr.Lines = append(tr.Lines, fmt.Sprintf("roster of %s not read: consumer key %s is not accepted by this tool", hostOf(src.URL), src.ConsumerKey))
			continue
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
		s.syncKey(ctx, e, tool, place, byKey[k], o, tr)
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
func (s *Syncer) syncKey(ctx context.Context, e *env, tool *store.Tool, place *toolPlaceCtx, r *roster, o Options, tr *ToolResult) {
	members := dedupe(r.members)
	tr.Members += len(members)
	enrol := tool.SyncMode == store.SyncEnrolAndUnenrol || tool.SyncMode == store.SyncEnrolNew
	mnet := e.site.MnetLocalhostID()
	current := map[int64]bool{}
	for _, m := range members {
		if ctx.Err() != nil {
			return
		}
		uid, err := moodle.UserIDByUsernames(ctx, s.DB, mnet, provision.Username(r.key, m.UserID), provision.LegacyUsername(r.key, m.UserID))
		if err != nil {
			tr.Err = err
			return
		}
		if uid != 0 {
			current[uid] = true
		}
		// Unenrol-only mode creates and enrols nobody; known members still
		// count as current.
		if !enrol {
			continue
		}
		if o.DryRun {
			if uid == 0 {
				tr.Created++
				tr.Lines = append(tr.Lines, fmt.Sprintf("would create and enrol %s", describe(m)))
			}
			continue
		}
		var got provisioned
		err = s.inTx(ctx, func(tx *database.Tx, caches moodle.CacheInvalidator) error {
			var err error
			got, err = s.provisionMember(ctx, tx, s.provisionEnv(e, caches), tool, place, r.key, m)
			return err
		})
		var refusal *provision.Refusal
		switch {
		case errors.As(err, &refusal):
			tr.Skipped++
			tr.Lines = append(tr.Lines, fmt.Sprintf("%s not enrolled: %s", describe(m), refusal.Msg))
			continue
		case err != nil:
			tr.Err = fmt.Errorf("member %s: %w", describe(m), err)
			return
		}
		current[got.userID] = true
		s.updatePicture(ctx, e, tool, got, m)
		if got.created {
			tr.Created++
		}
		if got.enrolled {
			tr.Enrolled++
			tr.Lines = append(tr.Lines, fmt.Sprintf("enrolled %s (user %d)", describe(m), got.userID))
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
	s.unenrolMissing(ctx, e, tool, place.course, r.key, current, o, tr)
}

// updatePicture queues the member's picture after its transaction
// committed, with the rule launches follow: it may replace a picture for a
// user just created, or when the profile update policy updates profiles.
func (s *Syncer) updatePicture(ctx context.Context, e *env, tool *store.Tool, got provisioned, m Member) {
	if s.Pictures == nil || m.Image == "" {
		return
	}
	if _, err := lti11.ValidURL(m.Image); err != nil {
		return
	}
	env := provision.Env{Site: e.site, Settings: e.settings}
	err := s.Pictures.Queue(ctx, picture.Request{UserID: got.userID, URL: m.Image,
		Replace: got.created || provision.UpdatesProfile(env, tool)})
	if err != nil {
		// The next sync or launch asks again.
		s.log().Warn("member sync: picture not queued", "user", got.userID, "err", err)
	}
}

// provisioned says what provisioning a member did.
type provisioned struct {
	userID   int64
	created  bool
	enrolled bool
}

// provisionMember gives a member their Moodle user and place in the tool's
// course exactly as a launch would (pkg/provision): find or create the
// user (the plugin's usernames, the profile update policy), enrol with the
// tool's rules (enrolinst/enrollearn, dates, period, maxenrolled, course
// and activity roles) as an instructor or a learner by the member's roles,
// the tool's group, and the member's local_ltiprovider_user row.
func (s *Syncer) provisionMember(ctx context.Context, tx *database.Tx, env provision.Env, tool *store.Tool, place *toolPlaceCtx, key string, m Member) (provisioned, error) {
	var got provisioned
	res, err := provision.User(ctx, tx, env, tool, provision.Person{ConsumerKey: key, UserID: m.UserID,
		GivenName: m.GivenName, FamilyName: m.FamilyName, Email: m.Email})
	if err != nil {
		return got, err
	}
	got.userID, got.created = res.User.ID, res.Created
	instructor := lti11ParseInstructor(m.Roles, env.Settings.InstitutionAdminInstructor)
	er, err := provision.Enrol(ctx, tx, env, provision.EnrolRequest{Tool: tool, Course: place.course, Module: place.module,
		UserID: got.userID, Instructor: instructor})
	if err != nil {
		return got, err
	}
	got.enrolled = er.Enrolled
	if _, err := provision.AddToGroup(ctx, tx, env, place.course, got.userID, provision.GroupOf(tool, nil)); err != nil {
		return got, err
	}
	if _, err := store.EnsureToolUser(ctx, tx, tool.ID, got.userID, key); err != nil {
		return got, err
	}
	now := env.Actor.Time
	for _, l := range []struct {
		on     bool
		action string
	}{{got.created, store.MemberCreated}, {got.enrolled, store.MemberEnrolled}} {
		if l.on {
			if err := store.LogMember(ctx, tx, store.MemberLogEntry{ToolID: tool.ID, CourseID: place.course.InstanceID, UserID: got.userID,
				Action: l.action, Detail: "member " + m.UserID + " of the roster of consumer key " + key, TimeCreated: now}); err != nil {
				return got, err
			}
		}
	}
	return got, nil
}

// unenrolMissing unenrols the users this service brought into the course
// for the consumer key who are not in its roster any more.
func (s *Syncer) unenrolMissing(ctx context.Context, e *env, tool *store.Tool, course moodle.Context, key string, current map[int64]bool, o Options, tr *ToolResult) {
	candidates, err := store.UnenrolCandidates(ctx, s.DB, tool.ID, course.InstanceID, key)
	if err != nil {
		tr.Err = err
		return
	}
	for _, uid := range candidates {
		if current[uid] || e.site.IsSiteAdmin(uid) {
			continue
		}
		if o.DryRun {
			tr.Unenrolled++
			tr.Lines = append(tr.Lines, fmt.Sprintf("would unenrol user %d", uid))
			continue
		}
		now := s.now().Unix()
		var removed bool
		err := s.inTx(ctx, func(tx *database.Tx, caches moodle.CacheInvalidator) error {
			var err error
			removed, err = moodle.UnenrolFromManual(ctx, tx, moodle.Actor{Origin: "cli", Time: now, Log: e.logs, Caches: caches},
				e.site, moodle.Unenrolment{Course: course, UserID: uid})
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

// toolPlaceCtx is where a tool puts its users: its course and, for an
// activity tool, the activity.
type toolPlaceCtx struct {
	course moodle.Context
	module *moodle.Context
}

func toolPlace(ctx context.Context, q database.Querier, tool *store.Tool) (*toolPlaceCtx, error) {
	c, err := moodle.GetContext(ctx, q, tool.ContextID)
	if err != nil {
		return nil, fmt.Errorf("tool %d: its course or activity is gone: %w", tool.ID, err)
	}
	switch c.Level {
	case moodle.ContextCourse:
		return &toolPlaceCtx{course: c}, nil
	case moodle.ContextModule:
		cm, err := moodle.GetCourseModule(ctx, q, c.InstanceID)
		if err != nil {
			return nil, fmt.Errorf("tool %d: its activity is gone: %w", tool.ID, err)
		}
		course, err := moodle.ContextOf(ctx, q, moodle.ContextCourse, cm.Course)
		if err != nil {
			return nil, fmt.Errorf("tool %d: %w", tool.ID, err)
		}
		return &toolPlaceCtx{course: course, module: &c}, nil
	}
	return nil, fmt.Errorf("tool %d: context %d is not a course or activity", tool.ID, c.ID)
}

// lti11ParseInstructor says whether a member's roles make them an
// instructor, by the launch's rules (context roles only, exact names).
func lti11ParseInstructor(roles string, institutionAdmin bool) bool {
	return lti11.ParseRoles(roles).IsInstructor(lti11.RoleOptions{InstitutionAdminInstructor: institutionAdmin})
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
