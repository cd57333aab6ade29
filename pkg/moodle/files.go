package moodle

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// EmptyContentHash is sha1(""), the content of every directory entry.
const EmptyContentHash = "da39a3ee5e6b4b0d3255bfef95601890afd80709"

// File is a row of Moodle's files table: one file (or directory entry,
// filename ".") of a component's file area. Its bytes live in the file
// pool under ContentHash (pkg/filedir).
type File struct {
	ID           int64          `db:"id"`
	ContentHash  string         `db:"contenthash"`
	PathnameHash string         `db:"pathnamehash"`
	ContextID    int64          `db:"contextid"`
	Component    string         `db:"component"`
	FileArea     string         `db:"filearea"`
	ItemID       int64          `db:"itemid"`
	FilePath     string         `db:"filepath"`
	FileName     string         `db:"filename"`
	UserID       sql.NullInt64  `db:"userid"`
	FileSize     int64          `db:"filesize"`
	MimeType     sql.NullString `db:"mimetype"`
	Status       int64          `db:"status"`
	Source       sql.NullString `db:"source"`
	Author       sql.NullString `db:"author"`
	License      sql.NullString `db:"license"`
	TimeCreated  int64          `db:"timecreated"`
	TimeModified int64          `db:"timemodified"`
	SortOrder    int64          `db:"sortorder"`
}

// ContentHash is file_storage::hash_from_string(): the sha1 of the bytes,
// which names the file in the pool.
func ContentHash(content []byte) string {
	sum := sha1.Sum(content)
	return hex.EncodeToString(sum[:])
}

// PathnameHash is file_storage::get_pathname_hash(): the unique key of a
// file, sha1("/contextid/component/filearea/itemid" + filepath + filename)
// with the path made to start and end with "/".
func PathnameHash(contextID int64, component, fileArea string, itemID int64, filePath, fileName string) string {
	if !strings.HasPrefix(filePath, "/") {
		filePath = "/" + filePath
	}
	if !strings.HasSuffix(filePath, "/") {
		filePath += "/"
	}
	sum := sha1.Sum([]byte("/" + strconv.FormatInt(contextID, 10) + "/" + component + "/" + fileArea + "/" +
		strconv.FormatInt(itemID, 10) + filePath + fileName))
	return hex.EncodeToString(sum[:])
}

const fileColumns = `id, contenthash, pathnamehash, contextid, component, filearea, itemid, filepath, filename,
	userid, filesize, mimetype, status, source, author, license, timecreated, timemodified, sortorder`

// AreaFiles returns the rows of one file area (directory entries
// included), by id.
func AreaFiles(ctx context.Context, q database.Querier, contextID int64, component, fileArea string, itemID int64) ([]File, error) {
	var files []File
	err := q.Select(ctx, &files, "SELECT "+fileColumns+" FROM {files} WHERE contextid = ? AND component = ? AND filearea = ? AND itemid = ? ORDER BY id",
		contextID, component, fileArea, itemID)
	if err != nil {
		return nil, fmt.Errorf("files of %d/%s/%s/%d: %w", contextID, component, fileArea, itemID, err)
	}
	return files, nil
}

// DeleteFileRows deletes rows of the files table by id, as
// stored_file::delete() does for files that no other file references
// (aliases are not made in the areas the service writes). The pool's
// bytes are the caller's business: Moodle moves them to the trash once
// no row uses them (ContentHashInUse).
func DeleteFileRows(ctx context.Context, q database.Querier, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	if _, err := q.Exec(ctx, "DELETE FROM {files} WHERE id IN ("+marks+")", args...); err != nil {
		return fmt.Errorf("deleting files %v: %w", ids, err)
	}
	return nil
}

// InsertFile adds a files row as file_storage::create_file() does (the
// caller fills the record; the pathname hash is computed here) and
// returns its id.
func InsertFile(ctx context.Context, q database.Querier, f *File) (int64, error) {
	f.PathnameHash = PathnameHash(f.ContextID, f.Component, f.FileArea, f.ItemID, f.FilePath, f.FileName)
	id, err := q.Insert(ctx, `INSERT INTO {files} (contenthash, pathnamehash, contextid, component, filearea, itemid, filepath, filename,
		userid, filesize, mimetype, status, source, author, license, timecreated, timemodified, sortorder, referencefileid)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
		f.ContentHash, f.PathnameHash, f.ContextID, f.Component, f.FileArea, f.ItemID, f.FilePath, f.FileName,
		f.UserID, f.FileSize, f.MimeType, f.Status, f.Source, f.Author, f.License, f.TimeCreated, f.TimeModified, f.SortOrder)
	if err != nil {
		return 0, fmt.Errorf("adding file %s%s to %d/%s/%s: %w", f.FilePath, f.FileName, f.ContextID, f.Component, f.FileArea, err)
	}
	f.ID = id
	return id, nil
}

// ContentHashInUse reports whether any files row uses these bytes
// (file_system::is_file_removable() asks the same before trashing them).
func ContentHashInUse(ctx context.Context, q database.Querier, contentHash string) (bool, error) {
	var n int
	if err := q.Get(ctx, &n, "SELECT COUNT(*) FROM {files} WHERE contenthash = ?", contentHash); err != nil {
		return false, fmt.Errorf("files using %s: %w", contentHash, err)
	}
	return n > 0, nil
}

// LockUserPicture reads a user's picture (the files id of their f1 icon, 0
// for none) and whether the account is deleted, holding the user row's
// lock until the transaction ends.
func LockUserPicture(ctx context.Context, q database.Querier, userID int64) (picture int64, deleted bool, err error) {
	var row struct {
		Picture int64 `db:"picture"`
		Deleted bool  `db:"deleted"`
	}
	if err := q.Get(ctx, &row, "SELECT picture, deleted FROM {user} WHERE id = ? FOR UPDATE", userID); err != nil {
		return 0, false, fmt.Errorf("user %d: %w", userID, err)
	}
	return row.Picture, row.Deleted, nil
}

// SetUserPicture sets user.picture, as $DB->set_field() does after
// process_new_icon(): no event, timemodified untouched.
func SetUserPicture(ctx context.Context, q database.Querier, userID, fileID int64) error {
	if _, err := q.Exec(ctx, "UPDATE {user} SET picture = ? WHERE id = ?", fileID, userID); err != nil {
		return fmt.Errorf("setting the picture of user %d: %w", userID, err)
	}
	return nil
}

// UserPicture reads a user's picture and whether the account is deleted,
// without a lock.
func UserPicture(ctx context.Context, q database.Querier, userID int64) (picture int64, deleted bool, err error) {
	var row struct {
		Picture int64 `db:"picture"`
		Deleted bool  `db:"deleted"`
	}
	if err := q.Get(ctx, &row, "SELECT picture, deleted FROM {user} WHERE id = ?", userID); err != nil {
		return 0, false, fmt.Errorf("user %d: %w", userID, err)
	}
	return row.Picture, row.Deleted, nil
}
