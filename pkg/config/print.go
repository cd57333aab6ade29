package config

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Redacted is what secrets print as.
const Redacted = "********"

// Print writes the effective configuration, one option per line with its
// source, secrets redacted.
func (c *Config) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, o := range options {
		v := o.format(c)
		if o.Secret && v != "" {
			v = Redacted
		}
		fmt.Fprintf(tw, "%s\t= %s\t(%s)\n", o.Key, quoteIfNeeded(v), c.Source(o.Key))
	}
	return tw.Flush()
}

func quoteIfNeeded(v string) string {
	if v == "" {
		return `""`
	}
	return v
}
