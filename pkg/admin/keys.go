package admin

import (
	"errors"
	"net/http"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/manage"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// bindKey is POST edit.php with bindkey: the tool accepts one more
// consumer key. A refused key brings the page back with the error next to
// the field and nothing written.
func (h *Handler) bindKey(q *request, sc *courseScope, t *store.Tool) {
	typed := q.r.PostFormValue("consumerkey")
	key, err := manage.CleanConsumerKey(typed)
	// Sharing a key that other tools use shares its users' accounts: site
	// administrators only (store.KeyUsedWithOtherSecret).
	share := false
	if err == nil {
		share, err = h.siteAdmin(q)
	}
	if err == nil {
		err = h.DB.WithTx(q.ctx, func(tx *database.Tx) error {
			_, err := manage.BindKey(q.ctx, tx, t.ID, key, h.now(), share)
			return err
		})
	}
	var refused *manage.ErrConsumerKey
	switch {
	case errors.As(err, &refused):
		h.showTool(q, sc, t, &keysBody{Value: typed, Error: refused.Msg}, http.StatusUnprocessableEntity)
		return
	case errors.Is(err, database.ErrNotFound):
		h.notFound(q.w, q.r, "There is no such tool.")
		return
	case err != nil:
		h.fail(q.w, q.r, err)
		return
	}
	h.logAction(q, "bound a consumer key", t.ID)
	http.Redirect(q.w, q.r, h.url("edit.php", "id", t.ID)+"#consumerkeys", http.StatusSeeOther)
}

// unbindKey is POST edit.php with unbindkey and keyid: the tool stops
// accepting that key. A key that is already gone (a second click) changes
// nothing and shows the current list.
func (h *Handler) unbindKey(q *request, sc *courseScope, t *store.Tool) {
	keyID, ok := intParam(q.r, "keyid")
	if !ok || keyID <= 0 {
		h.badRequest(q.w, q.r, "Which consumer key to remove is missing.")
		return
	}
	var removed string
	err := h.DB.WithTx(q.ctx, func(tx *database.Tx) error {
		var err error
		removed, err = manage.UnbindKeyByID(q.ctx, tx, t.ID, keyID)
		return err
	})
	switch {
	case errors.Is(err, database.ErrNotFound):
		h.notFound(q.w, q.r, "There is no such tool.")
		return
	case err != nil:
		h.fail(q.w, q.r, err)
		return
	}
	if removed != "" {
		h.logAction(q, "unbound a consumer key", t.ID)
	}
	http.Redirect(q.w, q.r, h.url("edit.php", "id", t.ID)+"#consumerkeys", http.StatusSeeOther)
}

// showTool renders an existing tool's page again (after a refused key).
func (h *Handler) showTool(q *request, sc *courseScope, t *store.Tool, kf *keysBody, status int) {
	ch, ss, err := h.choices(q, sc)
	if err != nil {
		h.fail(q.w, q.r, err)
		return
	}
	if ss.UserProfileUpdate != -1 {
		t.UserProfileUpdate = ss.UserProfileUpdate
	}
	h.showForm(q, sc, ch, ss, t, nil, kf, status)
}
