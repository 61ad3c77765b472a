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
// GOGC is set. At 1,000 sends a second (make bench, one-to-one) it spaced collections from
// 2.7 to 0.6 a second; the CPU and p99 it saves are within the runs' spread (GOGC=400 for
// the server alone: 39% of a core to 32-35%, p99 15-17 ms to 12 ms). It costs a small
// server up to 64 MiB.
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
