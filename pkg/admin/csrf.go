package admin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodleauth"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
)

// csrfKeyName is the config_plugins row (plugin local_ltiprovider) of the
// key that signs form tokens. It is not a setting anyone edits.
const csrfKeyName = "csrfkey"

// CSRF tokens are an HMAC of the Moodle session id and user id under a
// site key: they work the same for every session handler, need no storage,
// die with the session, and are checked in constant time. (Moodle's own
// sesskey lives inside the PHP session data, which the service cannot read
// for every handler.)
func (h *Handler) token(id moodleauth.Identity) string {
	mac := hmac.New(sha256.New, h.csrfKey())
	mac.Write([]byte("ltiprovider-form\x00" + id.SID + "\x00" + strconv.FormatInt(id.UserID(), 10)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (h *Handler) validToken(id moodleauth.Identity, got string) bool {
	if !id.LoggedIn() || got == "" || h.csrfKey() == nil {
		return false
	}
	return hmac.Equal([]byte(got), []byte(h.token(id)))
}

// sameOrigin refuses a form posted from another site when the browser says
// where it came from (Origin, or Sec-Fetch-Site).
func (h *Handler) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	want, err := url.Parse(h.WWWRoot)
	if err != nil {
		return false
	}
	return strings.EqualFold(origin, want.Scheme+"://"+want.Host)
}

func (h *Handler) csrfKey() []byte {
	h.keyOnce.Lock()
	defer h.keyOnce.Unlock()
	if h.key == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if key, err := LoadOrCreateKey(ctx, h.DB); err == nil {
			h.key = key
		} else if h.Log != nil {
			h.Log.Error("admin: cannot read or create the form key", "err", err)
		}
	}
	return h.key
}

// LoadOrCreateKey returns the site's form-token key, creating a random one
// on first use. Every replica reads the same row, so tokens made by one are
// accepted by the others.
func LoadOrCreateKey(ctx context.Context, db *database.DB) ([]byte, error) {
	for attempt := 0; attempt < 2; attempt++ {
		var v string
		err := db.Get(ctx, &v, "SELECT value FROM {config_plugins} WHERE plugin = ? AND name = ?", settings.Plugin, csrfKeyName)
		if err == nil {
			key, err := hex.DecodeString(v)
			if err != nil || len(key) < 32 {
				return nil, fmt.Errorf("config_plugins %s/%s is not a key", settings.Plugin, csrfKeyName)
			}
			return key, nil
		}
		if !errors.Is(err, database.ErrNotFound) {
			return nil, err
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		_, err = db.Exec(ctx, "INSERT INTO {config_plugins} (plugin, name, value) VALUES (?, ?, ?)", settings.Plugin, csrfKeyName, hex.EncodeToString(key))
		if err != nil && !errors.Is(err, database.ErrDuplicate) {
			return nil, err
		}
	}
	return nil, errors.New("form key: lost a race twice")
}
