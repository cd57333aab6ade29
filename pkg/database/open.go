package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
)

// defaultSockets are where Debian, Red Hat and macOS builds put the server
// socket. PHP's mysqli connects to "localhost" through the socket, so the
// service does the same when it finds one.
var defaultSockets = []string{"/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock", "/var/lib/mysql/mysql.sock", "/tmp/mysql.sock"}

// DriverConfig turns the service's database settings into a driver config,
// connecting the way Moodle's mysqli driver does: the site's collation and
// sql_mode STRICT_ALL_TABLES, so writes fail exactly where Moodle's would.
func DriverConfig(c config.DB) (*mysql.Config, error) {
	var mc *mysql.Config
	if c.DSN != "" {
		parsed, err := mysql.ParseDSN(c.DSN)
		if err != nil {
			return nil, fmt.Errorf("database: bad DSN: %w", redactDSNError(err))
		}
		mc = parsed
	} else {
		mc = mysql.NewConfig()
		mc.User = c.User
		mc.Passwd = c.Password
		mc.DBName = c.Name
		mc.Net, mc.Addr = address(c)
	}
	if mc.Params == nil {
		mc.Params = map[string]string{}
	}
	mc.Params["sql_mode"] = "'STRICT_ALL_TABLES'"
	mc.Collation = c.Collation
	mc.ParseTime = false // Moodle stores times as integers
	// Client-side interpolation saves the prepare round trip on every
	// statement; it is safe because the connection charset is utf8mb4.
	mc.InterpolateParams = true
	mc.MultiStatements = false
	if mc.Timeout == 0 {
		mc.Timeout = 5 * time.Second
	}
	return mc, nil
}

func address(c config.DB) (network, addr string) {
	host := c.Host
	local := host == "" || host == "localhost"
	if c.Socket != "" && strings.ContainsAny(c.Socket, `/\`) && local {
		return "unix", c.Socket
	}
	if local {
		for _, s := range defaultSockets {
			if fi, err := os.Stat(s); err == nil && fi.Mode()&os.ModeSocket != 0 {
				return "unix", s
			}
		}
		host = "127.0.0.1"
	}
	port := c.Port
	if port == 0 {
		port = 3306
	}
	return "tcp", net.JoinHostPort(host, strconv.Itoa(port))
}

// isolationVariables name the session variable of the transaction
// isolation level: MySQL 8 and MariaDB 11.1+ know the first, MariaDB
// before 11.1 only the second.
var isolationVariables = []string{"transaction_isolation", "tx_isolation"}

// Open connects to Moodle's database, checks the connection and applies the
// pool limits. Every connection runs at READ COMMITTED, the level of
// Moodle's own transactions, set once when it connects: a transaction then
// starts without a SET TRANSACTION round trip of its own.
func Open(ctx context.Context, c config.DB) (*DB, error) {
	return OpenWith(ctx, c, nil)
}

// OpenWith is Open with the driver's connector wrapped by wrap (nil: not
// wrapped), for tools and tests that watch what reaches the server.
func OpenWith(ctx context.Context, c config.DB, wrap func(driver.Connector) driver.Connector) (*DB, error) {
	mc, err := DriverConfig(c)
	if err != nil {
		return nil, err
	}
	for _, name := range isolationVariables {
		mc.Params[name] = "'READ-COMMITTED'"
		db, err := open(ctx, mc, c, wrap)
		if err == nil {
			db.sessionReadCommitted = true
			return db, nil
		}
		delete(mc.Params, name)
		if !isUnknownVariable(err) {
			return nil, err
		}
	}
	// A server that knows neither: each transaction sets its level.
	return open(ctx, mc, c, wrap)
}

func open(ctx context.Context, mc *mysql.Config, c config.DB, wrap func(driver.Connector) driver.Connector) (*DB, error) {
	var conn driver.Connector
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if wrap != nil {
		conn = wrap(conn)
	}
	x := sqlx.NewDb(sqlOpenDB(conn), "mysql")
	x.SetMaxOpenConns(c.MaxOpenConns)
	x.SetMaxIdleConns(c.MaxIdleConns)
	x.SetConnMaxLifetime(c.ConnMaxLifetime)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := x.PingContext(pingCtx); err != nil {
		x.Close()
		return nil, fmt.Errorf("database: cannot connect to %s %s as %q: %w", mc.Net, mc.Addr, mc.User, err)
	}
	return New(x, mc.DBName, c.Prefix), nil
}

// isUnknownVariable reports whether err is the server refusing a session
// variable it does not have (1193).
func isUnknownVariable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1193
}

// redactDSNError keeps a password that the driver quoted in a parse error
// out of logs.
func redactDSNError(err error) error {
	return fmt.Errorf("%s", strings.SplitN(err.Error(), ":", 2)[0])
}
