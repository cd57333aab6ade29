package memcache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"
)

func TestServerOf(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:11211": "127.0.0.1:11211", " mc.example ": "mc.example:11211", "mc.example:11311:2": "mc.example:11311",
		"/run/memcached/memcached.sock": "/run/memcached/memcached.sock",
	} {
		if got, err := ServerOf(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", " , ", "a:1,b:2"} {
		if _, err := ServerOf(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSetGetDelete(t *testing.T) {
	c := Client{Addr: "127.0.0.1:11211", Timeout: 2 * time.Second}
	if conn, err := net.DialTimeout("tcp", c.Addr, time.Second); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("memcached is needed on 127.0.0.1:11211 (apt-get install memcached)")
		}
		t.Skip("memcached is not running on 127.0.0.1:11211 (apt-get install memcached)")
	} else {
		conn.Close()
	}
	ctx := context.Background()
	key := fmt.Sprintf("ltip.test.%d", time.Now().UnixNano())
	data := []byte("USER|O:8:\"stdClass\":0:{}\r\nEND\r\n") // the protocol's own words inside the value
	if err := c.Set(ctx, key, data, 60); err != nil {
		t.Fatal(err)
	}
	got, flags, err := c.Get(ctx, key, 1024)
	if err != nil || flags != 0 || string(got) != string(data) {
		t.Fatalf("%q %d %v", got, flags, err)
	}
	if _, _, err := c.Get(ctx, key, 10); err == nil {
		t.Error("the size limit is not applied")
	}
	if err := c.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(ctx, key, 1024); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := c.Delete(ctx, key); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	for _, bad := range []string{"", "a b", "a\r\nflush_all", string(make([]byte, 251))} {
		if err := c.Set(ctx, bad, data, 1); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
}
