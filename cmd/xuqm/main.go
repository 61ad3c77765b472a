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
//
// heapPercent is the collector's percentage once the live heap alone puts the goal past
// the floor: a server that large holds many connections, whose memory is its limit, so it
// keeps a half of its live heap over it rather than GOGC=100's whole. make bench, idle
// WebSockets, the two run back to back: RSS 145.5 MiB at 10,000 and 229.3 MiB at 19,900,
// against 171.6 and 267.0 MiB with 100 (11.3 / 10.0 KiB each over a fresh server, against
// 13.9 / 11.9). The cost is collections
// twice as often on a heap that large: a busy server with a small live heap, whose goal
// is the floor, does not pay it.
const (
	heapFloor   = 64 << 20
	heapPercent = 50
)

func main() {
	if os.Getenv("GOGC") == "" {
		gcfloor.Keep(heapFloor, heapPercent)
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
