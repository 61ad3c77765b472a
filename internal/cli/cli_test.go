package cli_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/internal/cli"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func env(vars map[string]string, out, errOut *bytes.Buffer) cli.Environment {
	return cli.Environment{Getenv: func(k string) string { return vars[k] }, Stdout: out, Stderr: errOut}
}

func TestVersionAndUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := cli.Run(context.Background(), []string{"version"}, env(nil, &out, &errOut)); err != nil || !bytes.Contains(out.Bytes(), []byte("xuqm ")) {
		t.Errorf("version: %v %q", err, out.String())
	}
	for _, args := range [][]string{nil, {"frobnicate"}} {
		errOut.Reset()
		err := cli.Run(context.Background(), args, env(nil, &out, &errOut))
		if !errors.Is(err, cli.ErrUsage) || !bytes.Contains(errOut.Bytes(), []byte("usage: xuqm")) {
			t.Errorf("%v: %v %q", args, err, errOut.String())
		}
	}
}

func TestBadConfigurationIsNamed(t *testing.T) {
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), []string{"serve"}, env(map[string]string{"XUQM_SERVICES": "chat"}, &out, &errOut))
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("XUQM_SERVICES")) {
		t.Errorf("bad XUQM_SERVICES: %v", err)
	}
}

func TestMigrateCreatesTheDatabase(t *testing.T) {
	url := pgtest.MissingDBURL(t)
	var out, errOut bytes.Buffer
	if err := cli.Run(context.Background(), []string{"migrate"}, env(map[string]string{"DATABASE_URL": url, "XUQM_DATA_DIR": t.TempDir()}, &out, &errOut)); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut.String())
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_name IN ('apps', 'tenants', 'request_nonces')`).Scan(&n); err != nil || n != 3 {
		t.Errorf("tables after migrate: %d %v", n, err)
	}
}

func TestFlagsOverrideTheEnvironment(t *testing.T) {
	var out, errOut bytes.Buffer
	vars := map[string]string{"XUQM_SERVICES": "all"}
	err := cli.Run(context.Background(), []string{"serve", "--services", "im,chat"}, env(vars, &out, &errOut))
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(`XUQM_SERVICES="chat"`)) {
		t.Errorf("--services did not override XUQM_SERVICES: %v", err)
	}
	err = cli.Run(context.Background(), []string{"serve", "--no-such-flag"}, env(vars, &out, &errOut))
	if !errors.Is(err, cli.ErrUsage) {
		t.Errorf("unknown flag: %v", err)
	}
}
