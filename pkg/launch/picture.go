package launch

import (
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/lti11"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/picture"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/provision"
)

// PictureUpdater takes the profile picture of a launch that has committed;
// *picture.Updater fetches it in the background.
type PictureUpdater interface {
	Update(picture.Request)
}

// updatePicture hands the launch's picture URL (user_image, else
// custom_user_image, as the plugin read them) to the picture updater. It
// never blocks and never fails the launch. The picture may replace an
// existing one for a user this launch created, or when the profile update
// policy updates profiles.
func (h *Handler) updatePicture(s *state) {
	if h.pictures == nil {
		return
	}
	raw := s.msg.Get("user_image")
	if raw == "" {
		raw = s.msg.Get("custom_user_image")
	}
	if raw == "" {
		return
	}
	if _, err := lti11.ValidURL(raw); err != nil {
		h.log.Info("launch: profile picture ignored: not an absolute http(s) URL", "user", s.user.ID)
		return
	}
	h.pictures.Update(picture.Request{UserID: s.user.ID, URL: raw,
		Replace: s.created || provision.UpdatesProfile(s.env, s.tool)})
}
