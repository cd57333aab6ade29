package picture

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/doctor"
)

func TestDoctorCheck(t *testing.T) {
	dataroot := t.TempDir()
	run := func(env map[string]string) doctor.Result {
		cfg, _ := config.Load(config.Input{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
		return DoctorCheck().Run(context.Background(), &doctor.Env{Config: cfg})
	}
	// No filedir yet: refused, with where to look.
	r := run(map[string]string{"LTIPROVIDER_DATAROOT": dataroot})
	if r.Status != doctor.Fail || !strings.Contains(r.Hint, "moodle.dataroot") {
		t.Errorf("missing pool: %+v", r)
	}
	os.Mkdir(filepath.Join(dataroot, "filedir"), 0o777)
	if r := run(map[string]string{"LTIPROVIDER_DATAROOT": dataroot}); r.Status != doctor.Pass || !strings.Contains(r.Detail, "files 0666, folders 2777") {
		t.Errorf("pool: %+v", r)
	}
	if r := run(map[string]string{"LTIPROVIDER_DATAROOT": dataroot, "LTIPROVIDER_PICTURES_FETCH": "false"}); r.Status != doctor.Pass || !strings.Contains(r.Detail, "off") {
		t.Errorf("off: %+v", r)
	}
	if r := run(map[string]string{}); r.Status != doctor.Fail || !strings.Contains(r.Detail, "dataroot is unknown") {
		t.Errorf("no dataroot: %+v", r)
	}
}
