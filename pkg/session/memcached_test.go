package session_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/memcache"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phptest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
)

const memcachedAddr = "127.0.0.1:11211"

// useMemcached points the service at the memcached on 127.0.0.1:11211 as
// Moodle's memcached handler, with a prefix of the test's own.
func useMemcached(t *testing.T, c *config.Config) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", memcachedAddr, time.Second)
	if err != nil {
		msg := "memcached is not running on " + memcachedAddr + " (apt-get install memcached): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	conn.Close()
	b := make([]byte, 4)
	rand.Read(b)
	c.Session.HandlerClass = `\core\session\memcached`
	c.Session.MemcachedSavePath = memcachedAddr
	c.Session.MemcachedPrefix = "memc.sess.key." + hex.EncodeToString(b) + "."
}

// memcachedGet reads a key as PHP's extension would find it: flags, data,
// found.
func memcachedGet(t *testing.T, key string) (uint32, []byte, bool) {
	t.Helper()
	data, flags, err := memcache.Client{Addr: memcachedAddr, Timeout: 2 * time.Second}.Get(context.Background(), key, 1<<20)
	if errors.Is(err, memcache.ErrNotFound) {
		return 0, nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return flags, data, true
}

// The memcached strategy writes the sessions row and the data where the
// PHP memcached extension's session handler, configured as Moodle
// configures it, reads it.
func TestMemcachedStrategyWritesWhatPHPReads(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { useMemcached(t, c) })
	prefix := e.cfg.Session.MemcachedPrefix
	h := e.mustLogin(t, 3, "")
	checkSID(t, h.SID)
	if n := e.tdb.Count(t, "sessions", "sid = ? AND userid = 3 AND sessdata IS NULL", h.SID); n != 1 {
		t.Fatalf("sessions row: %d", n)
	}
	flags, data, ok := memcachedGet(t, prefix+h.SID)
	if !ok || flags != 0 {
		t.Fatalf("memcached value: found %v, flags %d", ok, flags)
	}
	if want := wantStudent1(sesskeyOf(t, data)); string(data) != want {
		t.Errorf("session data:\n got %s\nwant %s", data, want)
	}
	e.checkLoginSideEffects(t)
	if !phptest.HasExtension(t, "memcached") {
		t.Log("php-memcached is missing (apt-get install php-memcached): the value was checked byte by byte only")
		return
	}
	out := phptest.Run(t, `
		ini_set('session.save_handler', 'memcached');
		ini_set('session.save_path', '`+memcachedAddr+`');
		ini_set('memcached.sess_prefix', getenv('PREFIX'));
		ini_set('memcached.sess_locking', '1');
		ini_set('session.serialize_handler', 'php');
		session_id(getenv('SID'));
		session_start(['use_cookies' => 0]);
		echo $_SESSION['USER']->username, ' ', $_SESSION['USER']->id;
		session_abort();`, nil, "PREFIX="+prefix, "SID="+h.SID)
	if string(out) != "student1 3" {
		t.Errorf("PHP's memcached session handler reads %q", out)
	}
}

func TestMemcachedRollbackAndDestroy(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { useMemcached(t, c) })
	prefix := e.cfg.Session.MemcachedPrefix
	ctx := context.Background()
	var sid string
	err := e.db.WithTx(ctx, func(tx *database.Tx) error {
		h, err := e.mgr.Login(ctx, tx, session.LoginRequest{UserID: 3, Dest: "https://moodle.example/", ClientIP: clientIP, Browser: browser("")})
		if err != nil {
			return err
		}
		sid = h.SID
		return errors.New("the launch failed later")
	})
	if err == nil || sid == "" {
		t.Fatalf("no error, or no session: %v", err)
	}
	if _, _, ok := memcachedGet(t, prefix+sid); ok {
		t.Error("data left after the rollback")
	}
	first := e.mustLogin(t, 3, "")
	second := e.mustLogin(t, 3, first.SID) // the browser's previous session
	if _, _, ok := memcachedGet(t, prefix+first.SID); ok || e.tdb.Count(t, "sessions", "sid = ?", first.SID) != 0 {
		t.Error("the previous session survived")
	}
	if err := e.mgr.Destroy(ctx, e.db, second.SID); err != nil { // force_logout
		t.Fatal(err)
	}
	if _, _, ok := memcachedGet(t, prefix+second.SID); ok || e.tdb.Count(t, "sessions", "") != 0 {
		t.Error("Destroy left the session")
	}
}

// One server is written; several are spread by the extension's hashing,
// which the service does not follow: autologin then.
func TestMemcachedServers(t *testing.T) {
	for path, want := range map[string]string{
		"127.0.0.1:11211": session.Memcached, "mc.example:11311:1": session.Memcached, "/run/memcached.sock": session.Memcached,
		"a:11211, b:11211": session.Autologin, "": session.Autologin,
	} {
		c, err := session.Choose(config.Session{HandlerClass: `\core\session\memcached`, MemcachedSavePath: path}, nil)
		if err != nil || c.Strategy != want {
			t.Errorf("%q: %+v %v", path, c, err)
		}
	}
	if _, err := session.Choose(config.Session{Strategy: "memcached", HandlerClass: `\core\session\memcached`, MemcachedSavePath: "a:1,b:2"}, nil); err == nil ||
		!strings.Contains(err.Error(), "2 memcached servers") {
		t.Errorf("forced memcached on two servers: %v", err)
	}
}
