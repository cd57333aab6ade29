package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestNonceUsedOnceEvenUnderRace(t *testing.T) {
	db, tdb := testenv.DB(t)
	n := &store.Nonces{DB: db}
	exp := time.Now().Add(10 * time.Minute)
	var wg sync.WaitGroup
	results := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- n.Use(context.Background(), "consumer-A", "2c0c685318583af76e2b9465791d38c9", exp)
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, oauth1.ErrReplay):
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 10 concurrent uses accepted", ok)
	}
	// The same nonce from another consumer key is another nonce.
	if err := n.Use(context.Background(), "consumer-B", "2c0c685318583af76e2b9465791d38c9", exp); err != nil {
		t.Fatal(err)
	}
	if c := tdb.Count(t, "local_ltiprovider_nonce", "1=1"); c != 2 {
		t.Fatalf("%d rows", c)
	}
}

func TestPurgeNonces(t *testing.T) {
	db, tdb := testenv.DB(t)
	n := &store.Nonces{DB: db}
	now := time.Unix(1795754326, 0)
	n.Use(context.Background(), "k", "old", now.Add(-time.Second))
	n.Use(context.Background(), "k", "fresh", now.Add(time.Minute))
	purged, err := store.PurgeNonces(context.Background(), db, now)
	if err != nil || purged != 1 || tdb.Count(t, "local_ltiprovider_nonce", "1=1") != 1 {
		t.Fatalf("purged %d, err %v", purged, err)
	}
}
