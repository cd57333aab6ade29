package memcache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// ErrNotFound: no value under the key.
var ErrNotFound = errors.New("memcache: not found")

// Client talks to one memcached server, a connection per command (the
// service sends a few per launch).
type Client struct {
	Addr    string // host:port, or a Unix socket path
	Timeout time.Duration
}

// ServerOf reads Moodle's $CFG->session_memcached_save_path as
// connection_string_to_memcache_servers() does, for one server: several
// servers are spread by the extension's consistent hashing, which the
// service does not follow.
func ServerOf(savePath string) (string, error) {
	var servers []string
	for _, s := range strings.Split(savePath, ",") {
		if s = strings.TrimSpace(s); s != "" {
			servers = append(servers, s)
		}
	}
	switch {
	case len(servers) == 0:
		return "", errors.New("session_memcached_save_path is not set")
	case len(servers) > 1:
		return "", fmt.Errorf("its sessions are spread over %d memcached servers, which the service does not write", len(servers))
	}
	s := servers[0]
	if strings.HasPrefix(s, "/") {
		return s, nil
	}
	// host[:port[:weight]]; the weight does not matter for one server.
	parts := strings.Split(s, ":")
	port := "11211"
	if len(parts) > 1 && parts[1] != "" {
		port = parts[1]
	}
	return net.JoinHostPort(parts[0], port), nil
}

func (c Client) dial(ctx context.Context) (net.Conn, *bufio.Reader, error) {
	network := "tcp"
	if strings.HasPrefix(c.Addr, "/") {
		network = "unix"
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, network, c.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("memcache: %w", err)
	}
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, bufio.NewReader(conn), nil
}

func validKey(key string) error {
	if key == "" || len(key) > 250 || strings.ContainsAny(key, " \r\n\t\x00") {
		return fmt.Errorf("memcache: invalid key %q", key)
	}
	return nil
}

// Set stores data with flags 0 (a plain string for PHP's extension),
// expiring after exptime seconds (memcached reads more than 30 days as a
// Unix time).
func (c Client) Set(ctx context.Context, key string, data []byte, exptime int) error {
	if err := validKey(key); err != nil {
		return err
	}
	conn, r, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	cmd := fmt.Appendf(nil, "set %s 0 %d %d\r\n", key, exptime, len(data))
	cmd = append(append(cmd, data...), "\r\n"...)
	if _, err := conn.Write(cmd); err != nil {
		return fmt.Errorf("memcache: %w", err)
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("memcache: %w", err)
	}
	if line != "STORED\r\n" {
		return fmt.Errorf("memcache: set answered %q", strings.TrimSpace(line))
	}
	return nil
}

// Get returns a value and its flags, or ErrNotFound; values over limit
// bytes are refused.
func (c Client) Get(ctx context.Context, key string, limit int) ([]byte, uint32, error) {
	if err := validKey(key); err != nil {
		return nil, 0, err
	}
	conn, r, err := c.dial(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "get %s\r\n", key); err != nil {
		return nil, 0, fmt.Errorf("memcache: %w", err)
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, 0, fmt.Errorf("memcache: %w", err)
	}
	if line == "END\r\n" {
		return nil, 0, ErrNotFound
	}
	var k string
	var flags uint32
	var n int
	if _, err := fmt.Sscanf(line, "VALUE %s %d %d", &k, &flags, &n); err != nil || k != key {
		return nil, 0, fmt.Errorf("memcache: unexpected answer %q", strings.TrimSpace(line))
	}
	if n < 0 || n > limit {
		return nil, 0, fmt.Errorf("memcache: value of %d bytes, over %d", n, limit)
	}
	data := make([]byte, n+2)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, 0, fmt.Errorf("memcache: %w", err)
	}
	return data[:n], flags, nil
}

// Delete removes a key; a missing key is not an error.
func (c Client) Delete(ctx context.Context, key string) error {
	if err := validKey(key); err != nil {
		return err
	}
	conn, r, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "delete %s\r\n", key); err != nil {
		return fmt.Errorf("memcache: %w", err)
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("memcache: %w", err)
	}
	if line != "DELETED\r\n" && line != "NOT_FOUND\r\n" {
		return fmt.Errorf("memcache: delete answered %q", strings.TrimSpace(line))
	}
	return nil
}
