package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// set parses raw into the option's field.
func (o Option) set(c *Config, raw string) error {
	switch p := o.ptr(c).(type) {
	case *string:
		*p = raw
	case *int:
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return nil
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("%s: %q is not a whole number", o.Key, raw)
		}
		*p = n
	case *bool:
		b, err := parseBool(raw)
		if err != nil {
			return fmt.Errorf("%s: %v", o.Key, err)
		}
		*p = b
	case *time.Duration:
		d, err := parseDuration(raw)
		if err != nil {
			return fmt.Errorf("%s: %v", o.Key, err)
		}
		*p = d
	case *[]netip.Prefix:
		nets, err := ParseNetworks(raw)
		if err != nil {
			return fmt.Errorf("%s: %v", o.Key, err)
		}
		*p = nets
	default:
		panic("config: option " + o.Key + " has an unsupported type")
	}
	return nil
}

// format renders the option's current value the way set would read it.
func (o Option) format(c *Config) string {
	switch p := o.ptr(c).(type) {
	case *string:
		return *p
	case *int:
		return strconv.Itoa(*p)
	case *bool:
		return strconv.FormatBool(*p)
	case *time.Duration:
		return p.String()
	case *[]netip.Prefix:
		s := make([]string, len(*p))
		for i, n := range *p {
			s[i] = n.String()
		}
		return strings.Join(s, ",")
	}
	panic("config: option " + o.Key + " has an unsupported type")
}

func parseBool(raw string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use true or false)", raw)
}

// parseDuration accepts Go durations ("90s", "5m") and plain seconds ("300"),
// the unit Moodle uses for its own timeouts.
func parseDuration(raw string) (time.Duration, error) {
	raw = strings.TrimSpace(raw)
	if n, err := strconv.Atoi(raw); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 30s, 5m, or seconds)", raw)
	}
	return d, nil
}

// ParseNetworks reads a comma-separated list of CIDRs or single addresses.
func ParseNetworks(raw string) ([]netip.Prefix, error) {
	var nets []netip.Prefix
	for _, f := range strings.Split(raw, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR", f)
			}
			nets = append(nets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR", f)
		}
		nets = append(nets, p.Masked())
	}
	return nets, nil
}
