package filedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// Pool is one Moodle site's file pool.
type Pool struct {
	// Dir is $CFG->filedir; TrashDir is $CFG->trashdir.
	Dir, TrashDir string
	// DirMode and FileMode are $CFG->directorypermissions and
	// $CFG->filepermissions.
	DirMode, FileMode fs.FileMode
}

// Moodle's defaults (lib/setup.php): directorypermissions 02777, and
// filepermissions the same without execute bits.
const (
	DefaultDirMode  = fs.ModeSetgid | 0o777
	DefaultFileMode = fs.FileMode(0o666)
)

// Forced gives the $CFG values of config.php (*config.Config is one).
type Forced interface {
	Forced(name string) (string, bool)
}

// ErrNotLocal is returned for sites whose files are not in a local pool.
var ErrNotLocal = errors.New("Moodle's files are not kept in a local file pool")

// ForSite returns the pool of the site whose $CFG->dataroot is dataRoot,
// with the folders and permissions config.php may set. A site that keeps
// files elsewhere ($CFG->alternative_file_system_class, such as an object
// store) has no pool the service may write: ErrNotLocal.
func ForSite(dataRoot string, cfg Forced) (*Pool, error) {
	if v, ok := cfg.Forced("alternative_file_system_class"); ok && v != "" {
		return nil, fmt.Errorf("%w: config.php sets $CFG->alternative_file_system_class (%s)", ErrNotLocal, v)
	}
	p := &Pool{DirMode: DefaultDirMode}
	if v, ok := cfg.Forced("filedir"); ok && v != "" {
		p.Dir = v
	}
	if v, ok := cfg.Forced("trashdir"); ok && v != "" {
		p.TrashDir = v
	}
	if (p.Dir == "" || p.TrashDir == "") && dataRoot == "" {
		return nil, fmt.Errorf("Moodle's dataroot is unknown: give moodle.dataroot or config.php")
	}
	if p.Dir == "" {
		p.Dir = filepath.Join(dataRoot, "filedir")
	}
	if p.TrashDir == "" {
		p.TrashDir = filepath.Join(dataRoot, "trashdir")
	}
	if v, ok := cfg.Forced("directorypermissions"); ok {
		m, err := phpMode(v)
		if err != nil {
			return nil, fmt.Errorf("$CFG->directorypermissions: %w", err)
		}
		p.DirMode = m
	}
	p.FileMode = p.DirMode.Perm() & 0o666
	if v, ok := cfg.Forced("filepermissions"); ok {
		m, err := phpMode(v)
		if err != nil {
			return nil, fmt.Errorf("$CFG->filepermissions: %w", err)
		}
		p.FileMode = m.Perm()
	}
	return p, nil
}

// phpMode reads a permission config.php gives as a PHP integer (02777 in
// the file is 1535 once PHP has read it).
func phpMode(v string) (fs.FileMode, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil || n < 0 || n > 0o7777 {
		return 0, fmt.Errorf("%q is not a permission", v)
	}
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m, nil
}

var hashRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Path is where the bytes with this content hash live.
func (p *Pool) Path(hash string) string {
	return filepath.Join(p.Dir, hash[0:2], hash[2:4], hash)
}

func (p *Pool) trashPath(hash string) string {
	return filepath.Join(p.TrashDir, hash[0:2], hash[2:4], hash)
}

// Add stores content in the pool as add_file_from_string() does and
// returns its content hash and whether this call created the file (false
// when the same bytes were there already). The file appears whole or not
// at all: it is written under a temporary name and renamed.
func (p *Pool) Add(content []byte) (hash string, created bool, err error) {
	hash = moodle.ContentHash(content)
	path := p.Path(hash)
	if fi, err := os.Stat(path); err == nil {
		if fi.Size() == int64(len(content)) {
			return hash, false, nil
		}
		// A damaged copy: Moodle replaces it ("Replacing invalid content
		// file"); so does the rename below.
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("file pool: %w", err)
	}
	own, err := p.owner()
	if err != nil {
		return "", false, err
	}
	dir := filepath.Dir(path)
	if err := p.mkdirs(own, p.Dir, hash[0:2], hash[2:4]); err != nil {
		return "", false, err
	}
	tmp, err := os.CreateTemp(dir, hash+".*.tmp")
	if err != nil {
		return "", false, fmt.Errorf("file pool: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(content); err != nil {
		return "", false, fmt.Errorf("file pool: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return "", false, fmt.Errorf("file pool: %w", err)
	}
	if err := own.give(tmp.Name(), p.FileMode, false); err != nil {
		return "", false, err
	}
	if err := tmp.Close(); err != nil {
		return "", false, fmt.Errorf("file pool: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", false, fmt.Errorf("file pool: %w", err)
	}
	done = true
	return hash, true, nil
}

// Remove deletes bytes this service added and no files row uses (a
// failed transaction's). The caller has checked that no row uses them.
func (p *Pool) Remove(hash string) error {
	if !hashRE.MatchString(hash) || hash == moodle.EmptyContentHash {
		return nil
	}
	if err := os.Remove(p.Path(hash)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("file pool: %w", err)
	}
	return nil
}

// Trash moves bytes no files row uses any more to the trash, as
// file_system_filedir::remove_file() does (the caller has checked that no
// row uses them; Moodle's file_trash_cleanup_task empties the trash, and
// Moodle restores from it a file that turns out to be needed). The empty
// content is never trashed.
func (p *Pool) Trash(hash string) error {
	if !hashRE.MatchString(hash) || hash == moodle.EmptyContentHash {
		return nil
	}
	src := p.Path(hash)
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	own, err := p.owner()
	if err != nil {
		return err
	}
	// Moodle makes the trash folder when it first needs it, and so does this.
	if err := os.Mkdir(p.TrashDir, p.DirMode.Perm()); err == nil {
		if err := own.give(p.TrashDir, p.DirMode, true); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("file pool: %w", err)
	}
	if err := p.mkdirs(own, p.TrashDir, hash[0:2], hash[2:4]); err != nil {
		return err
	}
	dst := p.trashPath(hash)
	if _, err := os.Stat(dst); err == nil {
		// A copy is in the trash already.
		return p.Remove(hash)
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("file pool: moving %s to the trash: %w", hash, err)
	}
	return os.Chmod(dst, p.FileMode)
}

// Check makes sure the pool exists and the service can add files PHP can
// read: it writes and removes a probe file.
func (p *Pool) Check() error {
	fi, err := os.Stat(p.Dir)
	if err != nil {
		return fmt.Errorf("file pool %s: %w", p.Dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("file pool %s is not a folder", p.Dir)
	}
	own, err := p.owner()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(p.Dir, ".ltiprovider-probe-*")
	if err != nil {
		return fmt.Errorf("file pool %s is not writable: %w", p.Dir, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	return own.give(tmp.Name(), p.FileMode, false)
}

// mkdirs makes root/names… as Moodle's mkdir($dir, directorypermissions,
// true) does (Moodle runs with umask 0, so the mode is exact).
func (p *Pool) mkdirs(own owner, root string, names ...string) error {
	if _, err := os.Stat(root); err != nil {
		return fmt.Errorf("file pool: %w", err)
	}
	dir := root
	for _, n := range names {
		dir = filepath.Join(dir, n)
		err := os.Mkdir(dir, p.DirMode.Perm())
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("file pool: %w", err)
		}
		if err := own.give(dir, p.DirMode, true); err != nil {
			return err
		}
	}
	return nil
}

// owner is whom the pool's files belong to: the pool folder's owner and
// group (the web server's user, as PHP made it).
type owner struct{ uid, gid int }

func (p *Pool) owner() (owner, error) {
	fi, err := os.Stat(p.Dir)
	if err != nil {
		return owner{}, fmt.Errorf("file pool: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}, fmt.Errorf("file pool: cannot read the owner of %s", p.Dir)
	}
	return owner{uid: int(st.Uid), gid: int(st.Gid)}, nil
}

// give sets a new file's or folder's mode and hands it to the pool's
// owner. Without the right to (the service is not root), the group alone
// is given, or nothing: then PHP must still be able to use it through the
// group or other bits of the mode, or the file is refused.
func (o owner) give(path string, mode fs.FileMode, dir bool) error {
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("file pool: %w", err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("file pool: %w", err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) == o.uid && int(st.Gid) == o.gid {
		return nil
	}
	if os.Lchown(path, o.uid, o.gid) == nil {
		return os.Chmod(path, mode) // chown clears set-id bits
	}
	need := fs.FileMode(0o6) // read and write
	if dir {
		need = 0o7
	}
	if int(st.Gid) == o.gid || os.Lchown(path, -1, o.gid) == nil {
		if mode.Perm()&(need<<3) == need<<3 {
			return os.Chmod(path, mode)
		}
	}
	if mode.Perm()&need == need {
		return nil // everyone may use it, as with Moodle's default permissions
	}
	return fmt.Errorf("file pool: %s cannot be given to uid %d gid %d, and mode %04o does not let them use it; run the service as the web server user or in the pool folder's group",
		path, o.uid, o.gid, mode.Perm())
}
