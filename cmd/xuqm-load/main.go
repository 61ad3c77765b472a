// Command xuqm-load loads a running XuqmGroup server over loopback the way its users do and
// reports what it measured; `make bench` runs it. See internal/loadtest.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/xuqmgroup/xuqm/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := loadtest.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
