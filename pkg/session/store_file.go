package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// fileStore is \core\session\file: PHP's files handler writes
// <dir>/sess_<sid>, and Moodle keeps the sessions row beside it.
type fileStore struct {
	rowStore
	dir string
	cfg config.Session
	log *slog.Logger
}

// sessionDir is $CFG->session_file_save_path or <dataroot>/sessions.
func sessionDir(cfg *config.Config) (string, error) {
	dir := cfg.Session.FileSavePath
	if dir == "" {
		if cfg.Moodle.DataRoot == "" {
			return "", fmt.Errorf("Moodle's dataroot is unknown: give moodle.dataroot or config.php")
		}
		dir = filepath.Join(cfg.Moodle.DataRoot, "sessions")
	}
	if regexp.MustCompile(`^[0-9]+;`).MatchString(dir) {
		return "", fmt.Errorf("multilevel session directories (%s) are not supported, by Moodle either", dir)
	}
	return dir, nil
}

func (f fileStore) write(ctx context.Context, tx *database.Tx, s newSession) error {
	// The row first: a duplicate sid fails before any file exists.
	if err := insertRow(ctx, tx, s, nil); err != nil {
		return err
	}
	path := filepath.Join(f.dir, "sess_"+s.sid)
	if _, err := writeSessionFile(f.dir, filepath.Base(path), s.data, f.cfg); err != nil {
		return err
	}
	tx.OnRollback(func() { _ = os.Remove(path) })
	return nil
}

func (f fileStore) destroy(ctx context.Context, q database.Querier, sid string) error {
	if err := f.rowStore.destroy(ctx, q, sid); err != nil {
		return err
	}
	if !validSID(sid) {
		return nil
	}
	path := filepath.Join(f.dir, "sess_"+sid)
	afterCommit(q, func() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			f.log.Warn("cannot remove a destroyed session's file", "err", err)
		}
	})
	return nil
}

// fileOwnership is the owner, group and mode a session file gets.
type fileOwnership struct {
	uid, gid     int
	mode         fs.FileMode
	explicitUser bool
	// dirUID and dirGID are the folder's: PHP runs as one of them.
	dirUID, dirGID int
}

func ownership(dir string, cfg config.Session) (fileOwnership, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return fileOwnership{}, err
	}
	if !fi.IsDir() {
		return fileOwnership{}, fmt.Errorf("%s is not a folder", dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileOwnership{}, fmt.Errorf("cannot read the owner of %s", dir)
	}
	o := fileOwnership{uid: int(st.Uid), gid: int(st.Gid), dirUID: int(st.Uid), dirGID: int(st.Gid), mode: 0o600}
	if fi.Mode().Perm()&0o020 != 0 {
		o.mode |= 0o060 // a group-writable folder: the web server may be in the group
	}
	if cfg.FileOwner != "" {
		if o.uid, err = lookupID(cfg.FileOwner, false); err != nil {
			return o, err
		}
		o.explicitUser = true
	}
	if cfg.FileGroup != "" {
		if o.gid, err = lookupID(cfg.FileGroup, true); err != nil {
			return o, err
		}
	}
	if cfg.FileMode != "" {
		m, err := strconv.ParseUint(cfg.FileMode, 8, 32)
		if err != nil {
			return o, fmt.Errorf("session.file_mode %q: %w", cfg.FileMode, err)
		}
		o.mode = fs.FileMode(m).Perm()
	}
	return o, nil
}

func lookupID(name string, group bool) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	if group {
		g, err := user.LookupGroup(name)
		if err != nil {
			return 0, fmt.Errorf("session.file_group: %w", err)
		}
		return strconv.Atoi(g.Gid)
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, fmt.Errorf("session.file_owner: %w", err)
	}
	return strconv.Atoi(u.Uid)
}

// writeSessionFile writes data to dir/name atomically (a temporary file
// renamed in the same folder, so PHP never reads half a session) with the
// owner, group and mode PHP's web server user needs. It returns what the
// file got.
func writeSessionFile(dir, name string, data []byte, cfg config.Session) (os.FileInfo, error) {
	own, err := ownership(dir, cfg)
	if err != nil {
		return nil, fmt.Errorf("session folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".ltiprovider-sess-*")
	if err != nil {
		return nil, fmt.Errorf("session file: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return nil, fmt.Errorf("session file: %w", err)
	}
	if err := tmp.Chmod(own.mode); err != nil {
		return nil, fmt.Errorf("session file: %w", err)
	}
	if err := chown(tmp, own); err != nil {
		return nil, err
	}
	fi, err := tmp.Stat()
	if err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("session file: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return nil, fmt.Errorf("session file: %w", err)
	}
	ok = true
	return fi, nil
}

// chown gives the file its owner and group. Without the right to change
// the owner (the service does not run as root or as the web server user),
// a folder-derived owner falls back to the group alone, provided the web
// server can then still read and write the file.
func chown(f *os.File, own fileOwnership) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) == own.uid && int(st.Gid) == own.gid {
		return nil
	}
	err = f.Chown(own.uid, own.gid)
	if err == nil {
		return nil
	}
	if own.explicitUser {
		return fmt.Errorf("session file: giving it to uid %d, gid %d: %w", own.uid, own.gid, err)
	}
	if gerr := f.Chown(-1, own.gid); gerr != nil {
		return fmt.Errorf("session file: giving it to uid %d, gid %d: %w", own.uid, own.gid, err)
	}
	if own.mode&0o060 != 0o060 {
		return fmt.Errorf("session file: cannot give it to uid %d (%v), and mode %04o does not let its group (gid %d) read it; run the service as the web server user, or make the sessions folder group-writable", own.uid, err, own.mode, own.gid)
	}
	return nil
}
