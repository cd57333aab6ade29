package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/doctor"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
)

// DoctorChecks are the session lines of `ltiprovider doctor`: the strategy
// that applies and why, whether the service can write there, the session
// cookie, and what tool_mfa will do to LTI users.
func DoctorChecks(m *Manager) []doctor.Check {
	return []doctor.Check{
		{Name: "session strategy", Run: m.checkStrategy},
		{Name: "session store", Run: m.checkStore},
		{Name: "session cookie", Run: m.checkCookie},
		{Name: "session mfa", Run: m.checkMFA},
	}
}

func doctorPass(format string, args ...any) doctor.Result {
	return doctor.Result{Status: doctor.Pass, Detail: fmt.Sprintf(format, args...)}
}

func doctorFail(hint, format string, args ...any) doctor.Result {
	return doctor.Result{Status: doctor.Fail, Detail: fmt.Sprintf(format, args...), Hint: hint}
}

func needSite(e *doctor.Env) (doctor.Result, bool) {
	if e.DB == nil || e.Site == nil {
		return doctor.Result{Status: doctor.Skip, Detail: "needs the database"}, false
	}
	return doctor.Result{}, true
}

func (m *Manager) checkStrategy(ctx context.Context, e *doctor.Env) doctor.Result {
	if r, ok := needSite(e); !ok {
		return r
	}
	c, err := Choose(m.cfg.Session, e.Site)
	if err != nil {
		return doctorFail("set session.strategy to auto (or autologin); see docs/sessions.md", "%v", err)
	}
	return doctorPass("%s: %s", c.Strategy, c.Why)
}

func (m *Manager) checkStore(ctx context.Context, e *doctor.Env) doctor.Result {
	if r, ok := needSite(e); !ok {
		return r
	}
	c, err := Choose(m.cfg.Session, e.Site)
	if err != nil {
		return doctor.Result{Status: doctor.Skip, Detail: "no valid strategy"}
	}
	switch c.Strategy {
	case Database:
		if err := probeSessionsTable(ctx, e); err != nil {
			return doctorFail("grant the database user INSERT, UPDATE and DELETE on the sessions table", "cannot write sessions: %v", err)
		}
		return doctorPass("the sessions table is writable")
	case File:
		return m.checkFileStore(ctx, e)
	case Redis:
		return m.checkRedisStore(ctx, e)
	case Memcached:
		return m.checkMemcachedStore(ctx, e)
	}
	if p := m.autologinProblem(e.Site); p != "" {
		return doctorFail("autologin is the only way to log users in on this site: "+p+"; or switch Moodle to a session handler the service writes (files, database, redis, memcached)",
			"autologin will refuse every launch: %s", p)
	}
	// Moodle's autologin.php refuses nologin accounts, the default auth of
	// the users launches create.
	st, err := settings.Load(ctx, e.DB)
	if err != nil {
		return doctorFail("", "cannot read the site settings: %v", err)
	}
	if st.DefaultAuthMethod == "nologin" {
		return doctorFail("autologin is the strategy here and Moodle's autologin refuses nologin accounts: set defaultauthmethod to another enabled auth plugin that has no password login, e.g. lti (`ltiprovider settings set defaultauthmethod lti`), and change existing LTI users' auth the same way",
			"autologin will refuse every user the launches create: defaultauthmethod is nologin")
	}
	return doctorPass("autologin is possible (https, web services and the mobile service on); Moodle refuses it for site administrators and nologin, unconfirmed or suspended users")
}

// probeSessionsTable checks the privileges with statements that match no
// row: the server checks them and nothing changes.
func probeSessionsTable(ctx context.Context, e *doctor.Env) error {
	for _, q := range []string{
		"INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip) " +
			"SELECT 0, 'ltiprovider-doctor', 0, NULL, 0, 0, NULL, NULL FROM DUAL WHERE 1 = 0",
		"UPDATE {sessions} SET timemodified = timemodified WHERE 1 = 0",
		"DELETE FROM {sessions} WHERE 1 = 0",
	} {
		if _, err := e.DB.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// checkFileStore writes a trial file the way a session file is written
// and checks that the web server user (the folder's owner or group) can
// read and write what it got.
func (m *Manager) checkFileStore(ctx context.Context, e *doctor.Env) doctor.Result {
	dir, err := sessionDir(m.cfg)
	if err != nil {
		return doctorFail("give moodle.dataroot (config.php $CFG->dataroot) or session.file_save_path", "%v", err)
	}
	if err := probeSessionsTable(ctx, e); err != nil {
		return doctorFail("grant the database user INSERT, UPDATE and DELETE on the sessions table", "cannot write sessions rows: %v", err)
	}
	name := fmt.Sprintf(".ltiprovider-doctor-%d", time.Now().UnixNano())
	fi, err := writeSessionFile(dir, name, []byte("doctor"), m.cfg.Session)
	if err != nil {
		return doctorFail("run the service as Moodle's web server user, or as a member of the group of "+dir+" with that folder group-writable (or set session.file_owner/file_group/file_mode)",
			"cannot write session files in %s: %v", dir, err)
	}
	os.Remove(filepath.Join(dir, name))
	dfi, err := os.Stat(dir)
	if err != nil {
		return doctorFail("", "%v", err)
	}
	f, d := fi.Sys().(*syscall.Stat_t), dfi.Sys().(*syscall.Stat_t)
	mode := fi.Mode().Perm()
	readable := (f.Uid == d.Uid && mode&0o600 == 0o600) || (f.Gid == d.Gid && mode&0o060 == 0o060)
	detail := fmt.Sprintf("session files in %s get uid %d, gid %d, mode %04o (folder: uid %d, gid %d)", dir, f.Uid, f.Gid, mode, d.Uid, d.Gid)
	if !readable {
		return doctorFail("PHP runs as the folder's owner: set session.file_owner to it, or make the folder group-writable and run the service in its group", "%s: the folder's owner could not read them", detail)
	}
	return doctorPass("%s", detail)
}

func (m *Manager) checkRedisStore(ctx context.Context, e *doctor.Env) doctor.Result {
	st, err := m.store(Choice{Strategy: Redis}, e.Site)
	if err != nil {
		return doctorFail("set session_redis_host in config.php (or session.redis_host)", "%v", err)
	}
	rs := st.(redisStore)
	info, err := rs.client.Info(ctx, "server").Result()
	if err != nil {
		return doctorFail("check session.redis_host, _port, _auth and _encrypt, and that Redis runs", "cannot reach Redis: %v", err)
	}
	version := "?"
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			version = v
		}
	}
	key := rs.prefix + "ltiprovider-doctor"
	if err := rs.client.Set(ctx, key, "1", 10*time.Second).Err(); err != nil {
		return doctorFail("the Redis user needs write access to Moodle's session keys", "cannot write to Redis: %v", err)
	}
	rs.client.Del(ctx, key)
	return doctorPass("Redis %s reachable and writable; keys %q, %s; lifetime %s", version, rs.prefix+"session_<sid>", rs.format, rs.timeout)
}

func (m *Manager) checkCookie(ctx context.Context, e *doctor.Env) doctor.Result {
	if r, ok := needSite(e); !ok {
		return r
	}
	c := CookieFor(m.cfg, e.Site)
	k := c.New("<sid>")
	if !c.Secure {
		return doctorFail("serve Moodle over https with cookiesecure on: only a Secure cookie can be SameSite=None, which browsers need to send it inside a consumer's iframe",
			"%s (not Secure: launches in an iframe will land logged out in most browsers)", k)
	}
	return doctorPass("%s", k)
}

func (m *Manager) checkMFA(ctx context.Context, e *doctor.Env) doctor.Result {
	if r, ok := needSite(e); !ok {
		return r
	}
	var enabled, goodauth string
	_ = e.DB.Get(ctx, &enabled, "SELECT value FROM {config_plugins} WHERE plugin = 'tool_mfa' AND name = 'enabled'")
	if !truthy(enabled) {
		return doctorPass("tool_mfa is off")
	}
	_ = e.DB.Get(ctx, &goodauth, "SELECT value FROM {config_plugins} WHERE plugin = 'factor_auth' AND name = 'goodauth'")
	return doctorPass("tool_mfa is on: Moodle asks LTI users for their factors on the first page after a launch, as after any login, "+
		"unless a factor passes them (the Authentication type factor lists %q); see docs/sessions.md", goodauth)
}

// checkMemcachedStore writes and deletes a trial key on Moodle's memcached
// server, and checks that the sessions table is writable (the handler
// keeps its rows there).
func (m *Manager) checkMemcachedStore(ctx context.Context, e *doctor.Env) doctor.Result {
	st, err := m.store(Choice{Strategy: Memcached}, e.Site)
	if err != nil {
		return doctorFail("set session_memcached_save_path to one memcached server", "%v", err)
	}
	ms := st.(memcachedStore)
	key := ms.prefix + "ltiprovider-doctor"
	if err := ms.mc.Set(ctx, key, []byte("1"), 10); err != nil {
		return doctorFail("check session_memcached_save_path and that memcached runs", "cannot write to memcached at %s: %v", ms.mc.Addr, err)
	}
	if err := ms.mc.Delete(ctx, key); err != nil {
		return doctorFail("", "cannot delete from memcached at %s: %v", ms.mc.Addr, err)
	}
	if err := probeSessionsTable(ctx, e); err != nil {
		return doctorFail("grant the database user INSERT, UPDATE and DELETE on the sessions table", "cannot write sessions: %v", err)
	}
	return doctorPass("memcached at %s writable, keys %q; the sessions table is writable", ms.mc.Addr, ms.prefix+"<sid>")
}
