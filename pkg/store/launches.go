package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Layout is what a launch asked Moodle's pages to look like for its user:
// the tool's settings, switched on further by the launch's custom_*
// parameters (which can only switch things on, as in the plugin).
type Layout struct {
	ForceNavigation bool   `json:"forcenavigation"`
	HidePageHeader  bool   `json:"hidepageheader"`
	HidePageFooter  bool   `json:"hidepagefooter"`
	HideLeftBlocks  bool   `json:"hideleftblocks"`
	HideRightBlocks bool   `json:"hiderightblocks"`
	CustomCSS       string `json:"customcss"`
	// ContextID is what force navigation keeps the user inside: the tool's
	// course or module context.
	ContextID int64 `json:"contextid"`
	CourseID  int64 `json:"courseid"`
	// CMID is the course module of an activity tool, 0 for a course tool.
	CMID int64 `json:"cmid"`
}

// Launch is a user's latest launch: a row of local_ltiprovider_launch.
type Launch struct {
	UserID      int64
	ToolID      int64
	Layout      Layout
	ReturnURL   string // launch_presentation_return_url, validated
	TimeCreated int64
}

// SaveLaunch replaces the user's latest launch.
func SaveLaunch(ctx context.Context, q database.Querier, l *Launch) error {
	layout, err := json.Marshal(l.Layout)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO {local_ltiprovider_launch} (userid, toolid, layout, returnurl, timecreated)
		VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE toolid = VALUES(toolid), layout = VALUES(layout),
		returnurl = VALUES(returnurl), timecreated = VALUES(timecreated)`,
		l.UserID, l.ToolID, string(layout), l.ReturnURL, l.TimeCreated)
	if err != nil {
		return fmt.Errorf("saving launch of user %d: %w", l.UserID, err)
	}
	return nil
}

// GetLaunch returns a user's latest launch; database.ErrNotFound when the
// user never launched.
func GetLaunch(ctx context.Context, q database.Querier, userID int64) (*Launch, error) {
	var row struct {
		UserID      int64  `db:"userid"`
		ToolID      int64  `db:"toolid"`
		Layout      string `db:"layout"`
		ReturnURL   string `db:"returnurl"`
		TimeCreated int64  `db:"timecreated"`
	}
	if err := q.Get(ctx, &row, "SELECT userid, toolid, layout, returnurl, timecreated FROM {local_ltiprovider_launch} WHERE userid = ?", userID); err != nil {
		return nil, fmt.Errorf("launch of user %d: %w", userID, err)
	}
	l := &Launch{UserID: row.UserID, ToolID: row.ToolID, ReturnURL: row.ReturnURL, TimeCreated: row.TimeCreated}
	if err := json.Unmarshal([]byte(row.Layout), &l.Layout); err != nil {
		return nil, fmt.Errorf("launch of user %d: bad layout: %w", userID, err)
	}
	return l, nil
}
