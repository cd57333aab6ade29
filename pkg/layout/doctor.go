package layout

import (
	"context"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/doctor"
)

// DoctorCheck reports whether the layout tag is in additionalhtmlhead.
func DoctorCheck() doctor.Check {
	return doctor.Check{Name: "layout tag", Run: func(ctx context.Context, e *doctor.Env) doctor.Result {
		if e.Site == nil {
			return doctor.Result{Status: doctor.Skip, Detail: "needs Moodle's config table"}
		}
		value := e.Site.Get(Setting)
		if v, ok := e.Config.Forced(Setting); ok {
			value = v
		}
		s := Check(value, e.Config.Moodle.WWWRoot)
		switch {
		case s.Installed:
			return doctor.Result{Status: doctor.Pass, Detail: "the layout script is in Additional HTML within HEAD"}
		case s.Stale:
			return doctor.Result{Status: doctor.Fail, Detail: "Additional HTML within HEAD loads the layout script from another URL",
				Hint: "run `ltiprovider layout install` to point it at " + e.Config.Moodle.WWWRoot}
		}
		return doctor.Result{Status: doctor.Fail, Detail: "the layout script is not in Additional HTML within HEAD: LTI layouts, force navigation and the course menu link are off",
			Hint: "run `ltiprovider layout install`"}
	}}
}
