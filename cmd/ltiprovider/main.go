// Command ltiprovider makes a Moodle site an LTI tool provider. It runs
// beside Moodle, shares Moodle's database and is proxied by Moodle's web
// server under /local/ltiprovider. Run `ltiprovider help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
