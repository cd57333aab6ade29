package launch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/lti11"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/provision"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// CeilingLaunch is a launch as the database sees it: which tool, with
// which consumer key and nonce, and the launch's LTI parameters.
type CeilingLaunch struct {
	ToolID      int64
	ConsumerKey string
	Nonce       string
	// Params are the launch's fields (lti_message_type, user_id, …),
	// without oauth_* parameters.
	Params   url.Values
	ClientIP string
}

// Ceiling runs what a launch asks of the database and nothing else: the
// cached site settings, the tool lookup, the nonce, then every step in
// one transaction (the session handoff included), through the very
// functions ServeHTTP calls, but without HTTP, OAuth and the response. It
// verifies nothing, so it is for measurement only: ltibench compares
// launches over HTTP with it to see what HTTP and OAuth cost beside the
// database. The service never calls it. It returns where the browser
// would be sent.
func (h *Handler) Ceiling(ctx context.Context, l CeilingLaunch) (string, error) {
	if h.sessions == nil {
		return "", errors.New("launch: no session handoff configured")
	}
	site, conf, err := h.siteState(ctx)
	if err != nil {
		return "", err
	}
	in := &incoming{query: url.Values{"id": {strconv.FormatInt(l.ToolID, 10)}}, form: l.Params}
	tool, _, f := resolve(ctx, h.db, h.tools, in, conf.settings)
	if f != nil {
		return "", fmt.Errorf("launch: %s", f.msg)
	}
	now := h.now()
	nonces := &store.Nonces{DB: h.db, Now: h.now}
	if err := nonces.Use(ctx, l.ConsumerKey, l.Nonce, now.Add(h.window+time.Minute)); err != nil {
		return "", err
	}
	msg, err := lti11.NewLaunch(l.Params)
	if err != nil {
		return "", err
	}
	if err := msg.Check(); err != nil {
		return "", err
	}
	returnURL := ""
	if u, err := lti11.ValidReturnURL(msg.Get("launch_presentation_return_url")); err == nil {
		returnURL = u.String()
	}
	browser, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.wwwroot+Path+"?id="+strconv.FormatInt(l.ToolID, 10), nil)
	base := &state{
		h: h, browser: browser, msg: msg, consumerKey: l.ConsumerKey, tool: tool, secret: tool.Secret,
		site: site, settings: conf.settings, returnURL: returnURL,
		env: provision.Env{Site: site, Settings: conf.settings, DataRoot: h.dataRoot,
			Actor: moodle.Actor{IP: l.ClientIP, Origin: "web", Time: now.Unix(), Log: conf.logs}},
	}
	s, err := h.run(ctx, base)
	if err != nil {
		return "", err
	}
	return s.handoff.Redirect, nil
}
