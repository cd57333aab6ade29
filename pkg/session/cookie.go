package session

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// Cookie is how Moodle sets its session cookie on this site, worked out
// as \core\session\manager::prepare_cookies() does.
type Cookie struct {
	Name        string // MoodleSession + $CFG->sessioncookie
	Path        string
	Domain      string // "" for host-only
	Secure      bool   // is_moodle_cookie_secure()
	HTTPOnly    bool   // $CFG->cookiehttponly, on unless set to 0
	Partitioned bool   // session.cookie_partitioned, only with Secure
}

// CookieFor works out the session cookie of a site: the session.cookie*
// options (config.php) first, then the rows of Moodle's config table.
func CookieFor(cfg *config.Config, site *moodle.Site) Cookie {
	get := func(option, name string) string {
		if option != "" {
			return option
		}
		return siteValue(cfg, site, name)
	}
	c := Cookie{Name: "MoodleSession" + get(cfg.Session.Cookie, "sessioncookie")}
	u, _ := url.Parse(cfg.Moodle.WWWRoot)
	var host, path string
	https := false
	if u != nil {
		host, path, https = u.Hostname(), u.Path, strings.EqualFold(u.Scheme, "https")
	}
	c.Path = cookiePath(get(cfg.Session.CookiePath, "sessioncookiepath"), path)
	c.Domain = cookieDomain(get(cfg.Session.CookieDomain, "sessioncookiedomain"), host)
	_, secureSet := siteLookup(cfg, site, "cookiesecure")
	c.Secure = secureSet && (https || truthy(siteValue(cfg, site, "sslproxy"))) && truthy(siteValue(cfg, site, "cookiesecure"))
	httpOnly, set := siteLookup(cfg, site, "cookiehttponly")
	c.HTTPOnly = !set || truthy(httpOnly)
	c.Partitioned = c.Secure && cfg.Session.CookiePartitioned
	return c
}

// cookiePath: "/" always stands; "" or a path that is not a prefix of
// wwwroot's path ending in "/" becomes wwwroot's path plus "/".
func cookiePath(configured, wwwrootPath string) string {
	if configured == "/" {
		return "/"
	}
	path := wwwrootPath + "/"
	if configured == "" || !strings.HasPrefix(path, configured) || !strings.HasSuffix(configured, "/") {
		return path
	}
	return configured
}

// cookieDomain keeps a configured domain only when it is wwwroot's host or
// a suffix of it (".example.com" or "example.com" for www.example.com).
func cookieDomain(configured, host string) string {
	if configured == "" || configured == host {
		return configured
	}
	var pattern string
	if strings.HasPrefix(configured, ".") {
		pattern = "^.*" + regexp.QuoteMeta(configured) + "$"
	} else {
		pattern = `^.*\.` + regexp.QuoteMeta(configured) + "$"
	}
	if ok, _ := regexp.MatchString(pattern, host); ok {
		return configured
	}
	return ""
}

// New is the Set-Cookie for a new session: a browser-session cookie, with
// SameSite=None when Secure so that it is sent inside a consumer's iframe.
func (c Cookie) New(sid string) *http.Cookie {
	k := &http.Cookie{Name: c.Name, Value: sid, Path: c.Path, Domain: c.Domain, Secure: c.Secure, HttpOnly: c.HTTPOnly}
	if c.Secure {
		k.SameSite = http.SameSiteNoneMode
		k.Partitioned = c.Partitioned
	}
	return k
}

// Expire is the Set-Cookie that removes the browser's session cookie.
func (c Cookie) Expire() *http.Cookie {
	k := c.New("")
	k.MaxAge = -1
	return k
}

// SID returns the browser's Moodle session id from a request, or "" when
// it has none or one PHP would refuse. Like PHP, the first cookie of the
// name counts.
func (c Cookie) SID(r *http.Request) string {
	if r == nil {
		return ""
	}
	for _, k := range r.CookiesNamed(c.Name) {
		if validSID(k.Value) {
			return k.Value
		}
		return ""
	}
	return ""
}

// siteLookup finds a $CFG value: config.php first (it wins in Moodle),
// then the config table.
func siteLookup(cfg *config.Config, site *moodle.Site, name string) (string, bool) {
	if v, ok := cfg.Forced(name); ok {
		return v, true
	}
	if site == nil {
		return "", false
	}
	return site.Lookup(name)
}

func siteValue(cfg *config.Config, site *moodle.Site, name string) string {
	v, _ := siteLookup(cfg, site, name)
	return v
}

// truthy is PHP's !empty() for a setting.
func truthy(v string) bool { return v != "" && v != "0" }
