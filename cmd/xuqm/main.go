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
)

func main() {
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
