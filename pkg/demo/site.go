package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-sql-driver/mysql"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/mariadb"
	sqlfiles "github.com/moodle-ltiprovider/moodle-ltiprovider/sql"
)

// Site is a demo Moodle database and data folder.
type Site struct {
	DBName   string
	Prefix   string
	DataRoot string
	// DSN reaches the demo database as the service would.
	DSN string
	// Server says which database server holds it; Version is its
	// SELECT VERSION().
	Server  string
	Version string

	admin     *mysql.Config
	throwaway *mariadb.Throwaway
}

// Options say where the demo database lives.
type Options struct {
	// Throwaway starts a mariadbd of the demo's own even when a server
	// answers as root on 127.0.0.1:3306.
	Throwaway bool
	// Server is a server to create the database on, as a user who may
	// create and drop databases, instead of root on 127.0.0.1:3306
	// (ltibench --mariadb).
	Server *mysql.Config
	// ServerArgs are more options for a throwaway mariadbd.
	ServerArgs []string
	// NamePrefix starts the database's name ("ltiprovider_demo_" by
	// default); a random suffix follows.
	NamePrefix string
}

// Start creates the site. Progress lines go to out.
func Start(ctx context.Context, out io.Writer, o Options) (*Site, error) {
	s := &Site{Prefix: sqlfiles.FixturePrefix}
	cfg := mariadb.LocalRoot()
	if o.Server != nil {
		cfg = o.Server
	}
	if v, err := mariadb.Ping(ctx, cfg); err == nil && !o.Throwaway {
		s.Server, s.Version = "MariaDB "+v+" on "+cfg.Addr, v
	} else {
		switch {
		case o.Throwaway:
			fmt.Fprintln(out, "starting a throwaway mariadbd")
		case o.Server != nil:
			return nil, fmt.Errorf("demo: the server %s does not answer: %w", cfg.Addr, err)
		default:
			fmt.Fprintf(out, "no server as root on %s (%v); starting a throwaway mariadbd\n", mariadb.LocalAddr, err)
		}
		tw, err := mariadb.StartThrowaway(ctx, mariadb.ThrowawayOptions{Args: o.ServerArgs})
		if err != nil {
			return nil, fmt.Errorf("demo: no database server: install MariaDB (apt-get install mariadb-server) or start it: %w", err)
		}
		s.throwaway, cfg = tw, tw.Config()
		s.Server = "a throwaway mariadbd in " + tw.Dir()
		if v, err := mariadb.Ping(ctx, cfg); err == nil {
			s.Server, s.Version = "MariaDB "+v+", throwaway, in "+tw.Dir(), v
		}
	}
	s.admin = cfg
	suffix := make([]byte, 4)
	rand.Read(suffix)
	prefix := o.NamePrefix
	if prefix == "" {
		prefix = "ltiprovider_demo_"
	}
	s.DBName = prefix + hex.EncodeToString(suffix)
	if err := s.load(ctx); err != nil {
		s.Close()
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ltiprovider-demo-")
	if err != nil {
		s.Close()
		return nil, err
	}
	s.DataRoot = dir
	if err := os.Mkdir(filepath.Join(dir, "sessions"), 0o700); err != nil {
		s.Close()
		return nil, err
	}
	user := cfg.Clone()
	user.DBName = s.DBName
	s.DSN = user.FormatDSN()
	return s, nil
}

// load creates the database and loads the fixture into it.
func (s *Site) load(ctx context.Context) error {
	fx, err := mariadb.ParseFixture(sqlfiles.MoodleFixture, sqlfiles.FixturePrefix, s.Prefix)
	if err != nil {
		return err
	}
	admin, err := mariadb.Open(s.admin)
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, mariadb.CreateDatabase(s.DBName)); err != nil {
		return fmt.Errorf("demo: creating database %s: %w", s.DBName, err)
	}
	cfg := s.admin.Clone()
	cfg.DBName = s.DBName
	cfg.MultiStatements = true
	cfg.Params = map[string]string{"sql_mode": "'NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES'"}
	_ = cfg.Apply(mysql.Charset("utf8mb4", "utf8mb4_unicode_ci"))
	db, err := mariadb.Open(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	return mariadb.LoadFixture(ctx, db, fx)
}

// ServerPID is the process id of the throwaway mariadbd holding the site,
// 0 when the server is not one this process started.
func (s *Site) ServerPID() int {
	if s.throwaway == nil {
		return 0
	}
	return s.throwaway.PID()
}

// Close drops the database, removes the data folder and stops a throwaway
// server. It is safe to call on a half-started site.
func (s *Site) Close() {
	if s.throwaway != nil {
		s.throwaway.Stop() // the database goes with the server
	} else if s.admin != nil && s.DBName != "" {
		if admin, err := mariadb.Open(s.admin); err == nil {
			admin.Exec("DROP DATABASE IF EXISTS `" + s.DBName + "`")
			admin.Close()
		}
	}
	if s.DataRoot != "" {
		os.RemoveAll(s.DataRoot)
	}
}
