package picture

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Where Moodle keeps a user's picture: component user, file area icon,
// item 0, in the user's context (process_new_icon($context, 'user',
// 'icon', 0, …)).
const (
	iconComponent = "user"
	iconArea      = "icon"
)

// store makes the icons the user's picture, as process_new_icon() and
// the set_field() after it leave Moodle: the bytes in the pool; in one
// transaction the old icon rows deleted, the rows f1, "." (the directory
// entry create_directory() adds after the first file), f2, f3 inserted,
// user.picture = the f1 row's id, and the fetch recorded. Bytes no row
// uses any more go to the pool's trash after the commit, as
// stored_file::delete() sends them.
func (u *Updater) store(ctx context.Context, r Request, urlHash string, icons []icon, now time.Time) (Outcome, error) {
	var added []string
	for i := range icons {
		h, created, err := u.pool.Add(icons[i].data)
		if err != nil {
			u.removeUnused(added)
			return 0, err
		}
		icons[i].hash = h
		if created {
			added = append(added, h)
		}
	}
	if _, created, err := u.pool.Add(nil); err != nil {
		u.removeUnused(added)
		return 0, err
	} else if created {
		added = append(added, moodle.EmptyContentHash)
	}

	var (
		out Outcome
		old []moodle.File
	)
	err := u.db.WithTx(ctx, func(tx *database.Tx) error {
		out, old = Stored, nil
		picture, deleted, err := moodle.LockUserPicture(ctx, tx, r.UserID)
		if errors.Is(err, database.ErrNotFound) || (err == nil && deleted) {
			out = Gone
			return nil
		}
		if err != nil {
			return err
		}
		// Another worker or replica may have stored this URL meanwhile.
		prev, err := store.GetPictureFetch(ctx, tx, r.UserID)
		if err != nil {
			return err
		}
		if prev != nil && prev.URLHash == urlHash && prev.Status == store.PictureStored {
			out = Unchanged
			return nil
		}
		if picture != 0 && !r.Replace {
			out = Kept
			return nil
		}
		uctx, err := moodle.UserContext(ctx, tx, r.UserID)
		if err != nil {
			return err
		}
		if old, err = moodle.AreaFiles(ctx, tx, uctx.ID, iconComponent, iconArea, 0); err != nil {
			return err
		}
		ids := make([]int64, len(old))
		for i, f := range old {
			ids[i] = f.ID
		}
		if err := moodle.DeleteFileRows(ctx, tx, ids); err != nil {
			return err
		}
		ts := now.Unix()
		var f1 int64
		for i, ic := range icons {
			f := &moodle.File{ContentHash: ic.hash, ContextID: uctx.ID, Component: iconComponent, FileArea: iconArea,
				FilePath: "/", FileName: ic.name, FileSize: int64(len(ic.data)),
				MimeType: sql.NullString{String: ic.mimeType, Valid: true}, TimeCreated: ts, TimeModified: ts}
			id, err := moodle.InsertFile(ctx, tx, f)
			if err != nil {
				return err
			}
			if i > 0 {
				continue
			}
			f1 = id
			dir := &moodle.File{ContentHash: moodle.EmptyContentHash, ContextID: uctx.ID, Component: iconComponent, FileArea: iconArea,
				FilePath: "/", FileName: ".", TimeCreated: ts, TimeModified: ts}
			if _, err := moodle.InsertFile(ctx, tx, dir); err != nil {
				return err
			}
		}
		if err := moodle.SetUserPicture(ctx, tx, r.UserID, f1); err != nil {
			return err
		}
		return store.SavePictureFetch(ctx, tx, &store.PictureFetch{UserID: r.UserID, URLHash: urlHash,
			Status: store.PictureStored, FileID: f1, TimeModified: ts})
	})
	if err != nil || out != Stored {
		u.removeUnused(added)
		return out, err
	}
	for _, f := range old {
		u.trashUnused(f.ContentHash)
	}
	return Stored, nil
}

// removeUnused deletes bytes this request added that no row uses (its
// transaction failed or had nothing to do).
func (u *Updater) removeUnused(hashes []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, h := range hashes {
		if used, err := moodle.ContentHashInUse(ctx, u.db, h); err != nil || used {
			continue
		}
		if err := u.pool.Remove(h); err != nil {
			u.log.Warn("profile picture: cannot remove unused bytes from the file pool", "hash", h, "err", err)
		}
	}
}

// trashUnused moves replaced bytes to the trash once no row uses them.
func (u *Updater) trashUnused(hash string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if used, err := moodle.ContentHashInUse(ctx, u.db, hash); err != nil || used {
		return
	}
	if err := u.pool.Trash(hash); err != nil {
		u.log.Warn("profile picture: cannot move replaced bytes to the trash", "hash", hash, "err", err)
	}
}
