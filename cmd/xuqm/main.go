// Command xuqm is the XuqmGroup server: tenant platform, IM, push, files and app updates.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/xuqmgroup/xuqm/internal/cli"
	"github.com/xuqmgroup/xuqm/internal/gcfloor"
)

// heapFloor is the heap goal below which the collector waits (internal/gcfloor), unless
// GOGC is set. At 1,000 sends a second it took the server from 39% to 33% of a core and
// send→delivery p99 from 15-17 ms to 12 ms (make bench, one-to-one, GOGC=400 tried alike);
// it costs a small server up to 64 MiB.
const heapFloor = 64 << 20

func main() {
	if os.Getenv("GOGC") == "" {
		gcfloor.Keep(heapFloor)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, os.Args[1:], cli.Environment{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	if err != nil {
		if !errors.Is(err, cli.ErrUsage) {
			fmt.Fprintln(os.Stderr, "xuqm:", err)
		}
		os.Exit(1)
	}
}
