package store

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// PictureStatus is what came of the last fetch of a user's picture URL.
type PictureStatus int

const (
	// PictureStored: the picture is the user's Moodle picture.
	PictureStored PictureStatus = 0
	// PictureRefused: the URL will never give a picture (not an image, too
	// large, a non-public address, a 4xx answer); it is not fetched again.
	PictureRefused PictureStatus = 1
	// PictureFailed: the fetch failed for a reason that may pass (network,
	// timeout, 5xx); a later launch tries again.
	PictureFailed PictureStatus = 2
)

// PictureFetch is a row of local_ltiprovider_picture: the last picture URL
// fetched for a user.
type PictureFetch struct {
	UserID       int64         `db:"userid"`
	URLHash      string        `db:"urlhash"`
	Status       PictureStatus `db:"status"`
	FileID       int64         `db:"fileid"` // the f1 icon stored, 0 if none
	TimeModified int64         `db:"timemodified"`
}

// PictureURLHash is how a picture URL is remembered: its sha1, so that a
// token in its query string is not kept.
func PictureURLHash(url string) string {
	sum := sha1.Sum([]byte(url))
	return hex.EncodeToString(sum[:])
}

// GetPictureFetch returns the last fetch for a user; nil when there was
// none.
func GetPictureFetch(ctx context.Context, q database.Querier, userID int64) (*PictureFetch, error) {
	var f PictureFetch
	err := q.Get(ctx, &f, "SELECT userid, urlhash, status, fileid, timemodified FROM {local_ltiprovider_picture} WHERE userid = ?", userID)
	if errors.Is(err, database.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("picture fetch of user %d: %w", userID, err)
	}
	return &f, nil
}

// SavePictureFetch records the last fetch for a user.
func SavePictureFetch(ctx context.Context, q database.Querier, f *PictureFetch) error {
	_, err := q.Exec(ctx, `INSERT INTO {local_ltiprovider_picture} (userid, urlhash, status, fileid, timemodified) VALUES (?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE urlhash = VALUES(urlhash), status = VALUES(status), fileid = VALUES(fileid), timemodified = VALUES(timemodified)`,
		f.UserID, f.URLHash, f.Status, f.FileID, f.TimeModified)
	if err != nil {
		return fmt.Errorf("saving picture fetch of user %d: %w", f.UserID, err)
	}
	return nil
}
