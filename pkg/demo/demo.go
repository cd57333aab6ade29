// Package demo sets up a throwaway Moodle site for `ltiprovider demo`: a
// database loaded with the embedded Moodle 4.5.6 fixture, on the local
// MariaDB or on a mariadbd started for the purpose, and a data folder; and
// removes all of it afterwards.
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

// Start creates the site on root at 127.0.0.1:3306, or on a throwaway
// mariadbd when that does not answer. Progress lines go to out.
func Start(ctx context.Context, out io.Writer) (*Site, error) {
	return StartWith(ctx, out, Options{})
}

// Options choose where a site's database lives.
type Options struct {
	// Server is a server to create the database on, as a user who may
	// create and drop databases; nil tries root on 127.0.0.1:3306, then a
	// throwaway mariadbd.
	Server *mysql.Config
	// Throwaway starts a throwaway mariadbd even when a server answers.
	Throwaway bool
	// ServerArgs are more options for a throwaway mariadbd.
	ServerArgs []string
	// NamePrefix starts the database's name ("ltiprovider_demo_" by
	// default); a random suffix follows.
	NamePrefix string
}

// StartWith creates the site where o says. Progress lines go to out.
func StartWith(ctx context.Context, out io.Writer, o Options) (*Site, error) {
	s := &Site{Prefix: sqlfiles.FixturePrefix}
	cfg := o.Server
	if cfg == nil && !o.Throwaway {
		cfg = mariadb.LocalRoot()
	}
	var version string
	var err error
	if cfg != nil {
		if version, err = mariadb.Ping(ctx, cfg); err == nil {
			s.Server = "MariaDB " + version + " on " + cfg.Addr
		} else if o.Server != nil {
			return nil, fmt.Errorf("demo: the server %s does not answer: %w", cfg.Addr, err)
		} else {
			fmt.Fprintf(out, "no server as root on %s (%v); starting a throwaway mariadbd\n", mariadb.LocalAddr, err)
			cfg = nil
		}
	}
	if cfg == nil {
		tw, err := mariadb.StartThrowaway(ctx, mariadb.ThrowawayOptions{Args: o.ServerArgs})
		if err != nil {
			return nil, fmt.Errorf("demo: no database server: install MariaDB (apt-get install mariadb-server) or start it: %w", err)
		}
		s.throwaway, cfg = tw, tw.Config()
		s.Server = "a throwaway mariadbd in " + tw.Dir()
		if version, err = mariadb.Ping(ctx, cfg); err == nil {
			s.Server = "MariaDB " + version + ", throwaway, in " + tw.Dir()
		}
	}
	s.Version = version
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
