package moodle

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// PluginConfig is one plugin's rows of config_plugins, as get_config($plugin)
// returns them.
type PluginConfig map[string]string

// LoadPluginConfig reads the settings of one plugin (moodlecourse,
// enrol_manual, …).
func LoadPluginConfig(ctx context.Context, q database.Querier, plugin string) (PluginConfig, error) {
	var rows []struct {
		Name  string `db:"name"`
		Value string `db:"value"`
	}
	if err := q.Select(ctx, &rows, "SELECT name, value FROM {config_plugins} WHERE plugin = ?", plugin); err != nil {
		return nil, fmt.Errorf("settings of %s: %w", plugin, err)
	}
	pc := make(PluginConfig, len(rows))
	for _, r := range rows {
		pc[r.Name] = r.Value
	}
	return pc, nil
}

// Int returns a whole-number setting, def when absent or not a number (PHP
// would read a non-number as 0; a missing row falls back to the code's
// default, which is def).
func (pc PluginConfig) Int(name string, def int64) int64 {
	v, ok := pc[name]
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// Bool is PHP's truthiness of a setting; def when absent.
func (pc PluginConfig) Bool(name string, def bool) bool {
	v, ok := pc[name]
	if !ok {
		return def
	}
	return v != "" && v != "0"
}

// String returns a setting, def when absent.
func (pc PluginConfig) String(name, def string) string {
	if v, ok := pc[name]; ok {
		return v
	}
	return def
}

// ModuleID returns the id of a module type in the modules table (ids differ
// between sites).
func ModuleID(ctx context.Context, q database.Querier, name string) (int64, error) {
	var id int64
	if err := q.Get(ctx, &id, "SELECT id FROM {modules} WHERE name = ?", name); err != nil {
		return 0, fmt.Errorf("module %q: %w", name, err)
	}
	return id, nil
}
