// Package natstest runs an embedded NATS server for tests that need one, so that `make test`
// needs nothing listening on 127.0.0.1:4222.
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// URL starts an embedded NATS server on a random loopback port for the test and returns its
// URL; the server stops when the test ends. XUQM_TEST_NATS_URL is not consulted: a private
// server per test is simple and keeps tests apart.
func URL(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatalf("nats server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		t.Fatal("nats server did not start within 10 s")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s.ClientURL()
}
