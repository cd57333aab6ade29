package database

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// Errors callers may test with errors.Is. Nothing above this package needs
// to know the driver.
var (
	// ErrNotFound: the query returned no row.
	ErrNotFound = errors.New("database: not found")
	// ErrDuplicate: a unique key refused the row (MySQL 1062, 1586).
	ErrDuplicate = errors.New("database: duplicate key")
	// ErrDeadlock: the server chose this transaction as a deadlock victim
	// (1213) or it waited too long for a lock (1205).
	ErrDeadlock = errors.New("database: deadlock")
)

// driverError keeps the driver's message but answers errors.Is for the
// sentinel it maps to.
type driverError struct {
	sentinel error
	cause    error
}

func (e *driverError) Error() string        { return fmt.Sprintf("%v: %v", e.sentinel, e.cause) }
func (e *driverError) Is(target error) bool { return target == e.sentinel }
func (e *driverError) Unwrap() error        { return e.cause }

// translate maps driver errors to this package's sentinels at the edge.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1062, 1586:
			return &driverError{ErrDuplicate, err}
		case 1213, 1205:
			return &driverError{ErrDeadlock, err}
		}
	}
	return err
}

// IsMissingTable reports whether err says a table does not exist (1146).
func IsMissingTable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1146
}
