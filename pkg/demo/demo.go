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
	// Server says which database server holds it.
	Server string

	admin     *mysql.Config
	throwaway *mariadb.Throwaway
}

// Start creates the site. Progress lines go to out.
func Start(ctx context.Context, out io.Writer) (*Site, error) {
	s := &Site{Prefix: sqlfiles.FixturePrefix}
	cfg := mariadb.LocalRoot()
	if v, err := mariadb.Ping(ctx, cfg); err == nil {
		s.Server = "MariaDB " + v + " on " + mariadb.LocalAddr
	} else {
		fmt.Fprintf(out, "no server as root on %s (%v); starting a throwaway mariadbd\n", mariadb.LocalAddr, err)
		tw, err := mariadb.StartThrowaway(ctx, mariadb.ThrowawayOptions{})
		if err != nil {
			return nil, fmt.Errorf("demo: no database server: install MariaDB (apt-get install mariadb-server) or start it: %w", err)
		}
		s.throwaway, cfg = tw, tw.Config()
		s.Server = "a throwaway mariadbd in " + tw.Dir()
	}
	s.admin = cfg
	suffix := make([]byte, 4)
	rand.Read(suffix)
	s.DBName = "ltiprovider_demo_" + hex.EncodeToString(suffix)
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
