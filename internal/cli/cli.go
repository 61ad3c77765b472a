// Package cli is the program: it parses the command line and the environment, wires the
// parts and runs them until the context ends. cmd/xuqm only calls Run; tests call it too.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/xuqmgroup/xuqm/internal/config"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Version is set at build time (-ldflags -X).
var Version = "dev"

// Environment is what the program gets from the process.
type Environment struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// Listening, when set, is told the address the server listens on (tests use
	// XUQM_ADDR=127.0.0.1:0 and learn the port here).
	Listening func(net.Addr)
}

const usage = `usage: xuqm <command>

commands:
  serve     run the server (migrates the database first)
  migrate   apply the database migrations and exit
  version   print the version

Configuration comes from the environment; see README.md.`

// ErrUsage is returned for a command line that names no known command.
var ErrUsage = errors.New("unknown command")

// Run runs the command of args (without the program name) until ctx ends.
func Run(ctx context.Context, args []string, env Environment) error {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, usage)
		return ErrUsage
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(env.Stdout, "xuqm", Version)
		return nil
	case "serve", "migrate":
	case "help", "-h", "--help":
		fmt.Fprintln(env.Stdout, usage)
		return nil
	default:
		fmt.Fprintln(env.Stderr, usage)
		return fmt.Errorf("%w %q", ErrUsage, args[0])
	}
	cfg, err := config.Load(env.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.Stderr)
	db, err := postgres.Open(ctx, log, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := postgres.Migrate(ctx, db.Pool()); err != nil {
		return err
	}
	if args[0] == "migrate" {
		log.Info("migrations applied")
		return nil
	}
	return serve(ctx, cfg, log, db, env)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == config.LogJSON {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h)
}
