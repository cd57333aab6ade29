package filedir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

type forced map[string]string

func (f forced) Forced(name string) (string, bool) { v, ok := f[name]; return v, ok }

func TestForSite(t *testing.T) {
	p, err := ForSite("/srv/moodledata", forced{})
	if err != nil || p.Dir != "/srv/moodledata/filedir" || p.TrashDir != "/srv/moodledata/trashdir" ||
		p.DirMode != fs.ModeSetgid|0o777 || p.FileMode != 0o666 {
		t.Errorf("defaults: %+v %v", p, err)
	}
	// config.php values, as PHP gives them (02770 is 1528).
	p, err = ForSite("/d", forced{"filedir": "/mnt/pool", "trashdir": "/mnt/trash", "directorypermissions": "1528"})
	if err != nil || p.Dir != "/mnt/pool" || p.TrashDir != "/mnt/trash" || p.DirMode != fs.ModeSetgid|0o770 || p.FileMode != 0o660 {
		t.Errorf("forced: %+v %v", p, err)
	}
	p, err = ForSite("/d", forced{"filepermissions": "416"}) // 0640
	if err != nil || p.FileMode != 0o640 {
		t.Errorf("filepermissions: %+v %v", p, err)
	}
	if _, err := ForSite("/d", forced{"alternative_file_system_class": `\tool_objectfs\s3_file_system`}); !errors.Is(err, ErrNotLocal) {
		t.Errorf("object store: %v", err)
	}
	if _, err := ForSite("", forced{}); err == nil {
		t.Error("no dataroot")
	}
	if _, err := ForSite("/d", forced{"directorypermissions": "rwx"}); err == nil {
		t.Error("bad permission")
	}
}

func newPool(t *testing.T) *Pool {
	root := t.TempDir()
	p := &Pool{Dir: filepath.Join(root, "filedir"), TrashDir: filepath.Join(root, "trashdir"), DirMode: DefaultDirMode, FileMode: DefaultFileMode}
	for _, d := range []string{p.Dir, p.TrashDir} {
		if err := os.Mkdir(d, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, DefaultDirMode)
	}
	return p
}

func TestAddTrashRemove(t *testing.T) {
	p := newPool(t)
	content := []byte("an icon")
	hash, created, err := p.Add(content)
	if err != nil || !created || hash != moodle.ContentHash(content) {
		t.Fatalf("add: %s %v %v", hash, created, err)
	}
	path := filepath.Join(p.Dir, hash[:2], hash[2:4], hash)
	if b, err := os.ReadFile(path); err != nil || string(b) != "an icon" {
		t.Fatalf("content at %s: %q %v", path, b, err)
	}
	fi, _ := os.Stat(path)
	di, _ := os.Stat(filepath.Dir(path))
	if fi.Mode() != 0o666 || di.Mode() != fs.ModeDir|fs.ModeSetgid|0o777 {
		t.Errorf("modes: file %v, folder %v", fi.Mode(), di.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	// The same bytes again: nothing new.
	if _, created, err := p.Add(content); err != nil || created {
		t.Errorf("second add: %v %v", created, err)
	}
	// A damaged copy is replaced.
	os.WriteFile(path, []byte("an"), 0o666)
	if _, created, err := p.Add(content); err != nil || !created {
		t.Errorf("damaged copy: %v %v", created, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "an icon" {
		t.Errorf("not repaired: %q", b)
	}
	// Trash moves the bytes; a second trash of the same bytes drops them.
	if err := p.Trash(hash); err != nil {
		t.Fatal(err)
	}
	trashed := filepath.Join(p.TrashDir, hash[:2], hash[2:4], hash)
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("still in the pool")
	}
	if b, err := os.ReadFile(trashed); err != nil || string(b) != "an icon" {
		t.Errorf("trash: %q %v", b, err)
	}
	p.Add(content)
	if err := p.Trash(hash); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a trashed copy existed, the pool's should be gone")
	}
	// Missing bytes, the empty content and junk are no-ops.
	for _, h := range []string{hash, moodle.EmptyContentHash, "../../etc/passwd"} {
		if err := p.Trash(h); err != nil {
			t.Errorf("trash %q: %v", h, err)
		}
		if err := p.Remove(h); err != nil {
			t.Errorf("remove %q: %v", h, err)
		}
	}
	// The empty content (every directory entry's) is stored like any other.
	if h, _, err := p.Add(nil); err != nil || h != moodle.EmptyContentHash {
		t.Errorf("empty: %s %v", h, err)
	}
	if fi, err := os.Stat(p.Path(moodle.EmptyContentHash)); err != nil || fi.Size() != 0 {
		t.Errorf("empty file: %v", err)
	}
	if err := p.Check(); err != nil {
		t.Errorf("check: %v", err)
	}
}

// As root, files and folders go to the pool folder's owner (the web
// server user), as if PHP had made them.
func TestOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files away; TestAddTrashRemove covers the rest")
	}
	p := newPool(t)
	if err := os.Chown(p.Dir, 33, 33); err != nil {
		t.Fatal(err)
	}
	hash, _, err := p.Add([]byte("owned"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{p.Path(hash), filepath.Dir(p.Path(hash)), filepath.Dir(filepath.Dir(p.Path(hash)))} {
		fi, _ := os.Stat(path)
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != 33 || st.Gid != 33 {
			t.Errorf("%s: uid %d gid %d", path, st.Uid, st.Gid)
		}
		if fi.IsDir() && fi.Mode()&fs.ModeSetgid == 0 {
			t.Errorf("%s lost its setgid bit: %v", path, fi.Mode())
		}
	}
	// A pool whose mode leaves others out still works for its owner.
	p.FileMode = 0o600
	if _, _, err := p.Add([]byte("private")); err != nil {
		t.Errorf("0600 as root: %v", err)
	}
}

// The trash folder is made when first needed, as Moodle makes it.
func TestTrashFolderMade(t *testing.T) {
	p := newPool(t)
	os.Remove(p.TrashDir)
	hash, _, err := p.Add([]byte("old icon"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Trash(hash); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p.TrashDir)
	if err != nil || fi.Mode() != fs.ModeDir|fs.ModeSetgid|0o777 {
		t.Errorf("trash folder: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(p.TrashDir, hash[:2], hash[2:4], hash)); err != nil {
		t.Error(err)
	}
}

func TestMissingPool(t *testing.T) {
	p := &Pool{Dir: filepath.Join(t.TempDir(), "nope"), TrashDir: t.TempDir(), DirMode: DefaultDirMode, FileMode: DefaultFileMode}
	if _, _, err := p.Add([]byte("x")); err == nil {
		t.Error("added to a missing pool")
	}
	if err := p.Check(); err == nil {
		t.Error("check passed")
	}
}
