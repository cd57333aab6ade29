package manage

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// A consumer key's users are the same Moodle accounts on every tool
// (usernames hash the key and user_id, not the tool), so whoever holds the
// secret of any tool that accepts a key can log in as any of that key's
// users. Letting one more tool accept a key that tools with other secrets
// already use therefore hands those users to that tool's managers: it is a
// site administrator's decision, never a course manager's or a request's.

// KeyUsedWithOtherSecret reports whether key is accepted by, or recorded
// for the users of, a tool other than toolID whose secret is not secret.
func KeyUsedWithOtherSecret(ctx context.Context, q database.Querier, toolID int64, key, secret string) (bool, error) {
	var secrets []string
	err := q.Select(ctx, &secrets, `SELECT t.secret FROM {local_ltiprovider_consumer} c JOIN {local_ltiprovider} t ON t.id = c.toolid
		WHERE c.keyhash = ? AND c.toolid <> ?
		UNION
		SELECT t.secret FROM {local_ltiprovider_user} u JOIN {local_ltiprovider} t ON t.id = u.toolid
		WHERE u.consumerkey = ? AND u.toolid <> ?`, store.KeyHash(key), toolID, key, toolID)
	if err != nil {
		return false, fmt.Errorf("tools using a consumer key: %w", err)
	}
	for _, s := range secrets {
		// Compared here, byte for byte: the column's collation ignores case.
		if subtle.ConstantTimeCompare([]byte(s), []byte(secret)) != 1 {
			return true, nil
		}
	}
	return false, nil
}

// ErrKeyUsedElsewhere refuses a key that tools with other secrets use.
var ErrKeyUsedElsewhere = &ErrConsumerKey{"Other tools of this site, with other secrets, already accept this consumer key: " +
	"its users would be the same Moodle accounts here. Only a site administrator can let this tool accept it too."}
