package picture

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/doctor"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/filedir"
)

// DoctorCheck reports whether profile pictures from launches can be
// stored: Moodle's file pool is on this machine and the service can add
// files PHP can read.
func DoctorCheck() doctor.Check {
	return doctor.Check{Name: "profile pictures", Run: func(ctx context.Context, e *doctor.Env) doctor.Result {
		if !e.Config.Pictures.Fetch {
			return doctor.Result{Status: doctor.Pass, Detail: "not fetched (pictures.fetch is off)"}
		}
		pool, err := filedir.ForSite(e.Config.Moodle.DataRoot, e.Config)
		if errors.Is(err, filedir.ErrNotLocal) {
			return doctor.Result{Status: doctor.Fail, Detail: err.Error() + ": pictures from launches are not stored",
				Hint: "set pictures.fetch = false; users keep Moodle's default picture"}
		}
		if err != nil {
			return doctor.Result{Status: doctor.Fail, Detail: err.Error(), Hint: "give moodle.dataroot (or config.php), or set pictures.fetch = false"}
		}
		if err := pool.Check(); errors.Is(err, fs.ErrNotExist) {
			return doctor.Result{Status: doctor.Fail, Detail: err.Error(),
				Hint: "check moodle.dataroot (or $CFG->filedir in config.php): Moodle's file pool must be reachable from this machine, or set pictures.fetch = false"}
		} else if err != nil {
			return doctor.Result{Status: doctor.Fail, Detail: err.Error(),
				Hint: "run the service as the web server user (or in the group of " + pool.Dir + "), or set pictures.fetch = false"}
		}
		return doctor.Result{Status: doctor.Pass, Detail: fmt.Sprintf("stored in %s (files %04o, folders %04o)",
			pool.Dir, pool.FileMode.Perm(), modeBits(pool))}
	}}
}

// modeBits shows the folders' mode as Moodle writes it (02777).
func modeBits(p *filedir.Pool) uint32 {
	m := uint32(p.DirMode.Perm())
	if p.DirMode&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	return m
}
