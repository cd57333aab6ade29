package accesslib

import (
	"context"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Permission values of role_capabilities.permission.
const (
	Inherit  = 0
	Allow    = 1
	Prevent  = -1
	Prohibit = -1000
)

// Risks of capabilities.riskbitmask.
const (
	RiskManageTrust = 0x0001
	RiskConfig      = 0x0002
	RiskXSS         = 0x0004
	RiskPersonal    = 0x0008
	RiskSpam        = 0x0010
	RiskDataLoss    = 0x0020
)

// Capability is a row of the capabilities table.
type Capability struct {
	Name         string `db:"name"`
	CapType      string `db:"captype"`
	ContextLevel int    `db:"contextlevel"`
	Component    string `db:"component"`
	RiskBitmask  int    `db:"riskbitmask"`
}

// risky is what guests and visitors never get, whatever the roles say.
func (c *Capability) risky() bool {
	return c.CapType == "write" || c.RiskBitmask&(RiskXSS|RiskConfig|RiskDataLoss) != 0
}

// GetCapability reads a capability; database.ErrNotFound when no installed
// component defines it.
func GetCapability(ctx context.Context, q database.Querier, name string) (*Capability, error) {
	var c Capability
	err := q.Get(ctx, &c, "SELECT name, captype, contextlevel, component, riskbitmask FROM {capabilities} WHERE name = ?", name)
	if err != nil {
		return nil, fmt.Errorf("capability %s: %w", name, err)
	}
	return &c, nil
}

// CapabilityExists reports whether some installed component defines name.
func CapabilityExists(ctx context.Context, q database.Querier, name string) (bool, error) {
	_, err := GetCapability(ctx, q, name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, database.ErrNotFound):
		return false, nil
	}
	return false, err
}
