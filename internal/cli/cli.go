// Package cli is the program: it parses the command line and the environment, wires the
// parts and runs them until the context ends. cmd/xuqm only calls Run; tests call it too.
package cli

import (
	"context"
	"errors"
	"flag"
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
	// MetricsListening, when set, is told the address of the metrics listener
	// (XUQM_METRICS_ADDR).
	MetricsListening func(net.Addr)
}

const usage = `usage: xuqm <command> [flags]

commands:
  serve     run the server (migrates the database first)
  migrate   apply the database migrations and exit
  version   print the version
  release   upload an APK or an RN bundle, and publish it (xuqm release --help)

Configuration comes from the environment (see README.md); these flags override it:
  --addr          XUQM_ADDR
  --services      XUQM_SERVICES (for example im,file)
  --data-dir      XUQM_DATA_DIR
  --database-url  DATABASE_URL
  --log-level     XUQM_LOG_LEVEL`

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
	case "release":
		return release(ctx, args[1:], env)
	case "serve", "migrate":
	case "help", "-h", "--help":
		fmt.Fprintln(env.Stdout, usage)
		return nil
	default:
		fmt.Fprintln(env.Stderr, usage)
		return fmt.Errorf("%w %q", ErrUsage, args[0])
	}
	getenv, err := withFlags(args[0], args[1:], env)
	if err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
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

// flagEnv are the flags that mirror environment variables.
var flagEnv = map[string]string{
	"addr": "XUQM_ADDR", "services": "XUQM_SERVICES", "data-dir": "XUQM_DATA_DIR",
	"database-url": "DATABASE_URL", "log-level": "XUQM_LOG_LEVEL",
}

// withFlags returns a getenv in which the command line's flags override the environment.
func withFlags(command string, args []string, env Environment) (func(string) string, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	values := map[string]*string{}
	for name, variable := range flagEnv {
		values[variable] = fs.String(name, "", "overrides "+variable)
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[flagEnv[f.Name]] = true })
	return func(name string) string {
		if set[name] {
			return *values[name]
		}
		return env.Getenv(name)
	}, nil
}
