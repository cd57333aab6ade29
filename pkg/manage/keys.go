package manage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// MaxConsumerKeyLen bounds a consumer key an administrator binds by hand.
// Consumers use short keys (Moodle's own LTI settings allow 255
// characters); the bound leaves room without accepting a pasted document.
const MaxConsumerKeyLen = 1000

// ErrConsumerKey is a consumer key an administrator typed that cannot be
// bound; its text says why, in words for the form and the command line.
type ErrConsumerKey struct{ Msg string }

func (e *ErrConsumerKey) Error() string { return e.Msg }

// CleanConsumerKey checks a consumer key typed by an administrator and
// returns it without surrounding blanks (a copied key often carries a
// space or a newline; keys are compared exactly, so it would never match).
func CleanConsumerKey(raw string) (string, error) {
	key := strings.TrimSpace(raw)
	switch {
	case key == "":
		return "", &ErrConsumerKey{"Enter the consumer key the external system sends (oauth_consumer_key)."}
	case !utf8.ValidString(key):
		return "", &ErrConsumerKey{"The consumer key is not valid UTF-8 text."}
	case utf8.RuneCountInString(key) > MaxConsumerKeyLen:
		return "", &ErrConsumerKey{fmt.Sprintf("The consumer key is longer than %d characters.", MaxConsumerKeyLen)}
	case strings.IndexFunc(key, unicode.IsControl) >= 0:
		return "", &ErrConsumerKey{"The consumer key contains control characters."}
	}
	return key, nil
}

// BindKey makes a tool accept a consumer key, and reports whether the key
// is new to the tool. It takes the tool's row lock, as a launch does when
// it binds a key, so the two never decide about the same tool at once; a
// missing tool is database.ErrNotFound. A key that tools with other
// secrets already use is refused (ErrKeyUsedElsewhere) unless share is set:
// only site administrators and the operator may share a key's users with
// another tool.
func BindKey(ctx context.Context, q database.Querier, toolID int64, key string, now time.Time, share bool) (bool, error) {
	key, err := CleanConsumerKey(key)
	if err != nil {
		return false, err
	}
	if err := store.LockTool(ctx, q, toolID); err != nil {
		return false, err
	}
	bound, _, err := store.ConsumerKeyBound(ctx, q, toolID, key)
	if err != nil || bound {
		return false, err
	}
	if !share {
		tool, err := store.GetTool(ctx, q, toolID)
		if err != nil {
			return false, err
		}
		used, err := store.KeyUsedWithOtherSecret(ctx, q, toolID, key, tool.Secret)
		if err != nil {
			return false, err
		}
		if used {
			return false, ErrKeyUsedElsewhere
		}
	}
	return true, store.BindConsumerKey(ctx, q, toolID, key, now.Unix())
}

// UnbindKey stops a tool accepting a consumer key (compared exactly, as
// launches compare it) and reports whether it was bound. A tool left
// without keys binds the key of its next verified launch.
func UnbindKey(ctx context.Context, q database.Querier, toolID int64, key string) (bool, error) {
	if err := store.LockTool(ctx, q, toolID); err != nil {
		return false, err
	}
	return store.UnbindConsumerKey(ctx, q, toolID, key)
}

// UnbindKeyByID removes the bound key with this row id from a tool (the
// administration page's Remove button) and returns the key; "" when the
// tool has no such key (already removed).
func UnbindKeyByID(ctx context.Context, q database.Querier, toolID, keyID int64) (string, error) {
	if err := store.LockTool(ctx, q, toolID); err != nil {
		return "", err
	}
	keys, err := store.ConsumerKeysOfTool(ctx, q, toolID)
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		if k.ID == keyID {
			_, err := store.UnbindConsumerKey(ctx, q, toolID, k.Key)
			return k.Key, err
		}
	}
	return "", nil
}

// IsConsumerKeyError reports whether err is a refused key (to show to
// the person) rather than a failure.
func IsConsumerKeyError(err error) bool {
	var e *ErrConsumerKey
	return errors.As(err, &e)
}

// ErrKeyUsedElsewhere refuses a key that tools with other secrets use.
var ErrKeyUsedElsewhere = &ErrConsumerKey{"Other tools of this site, with other secrets, already accept this consumer key: " +
	"its users would be the same Moodle accounts here. Only a site administrator can let this tool accept it too."}
