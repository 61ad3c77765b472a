package cli

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/config"
	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/internal/push"
	"github.com/xuqmgroup/xuqm/internal/secret"
)

// newPush is the push service with the configured gateways (XUQM_APNS_HOST …) and, when
// XUQM_PUSH_CA_FILE names one, the authorities trusted for them.
func newPush(pool *pgxpool.Pool, cfg config.Config, queue jobs.Inserter, box *secret.Box, log *slog.Logger) (*push.Service, error) {
	var roots *x509.CertPool
	if cfg.Push.CAFile != "" {
		pem, err := os.ReadFile(cfg.Push.CAFile)
		if err != nil {
			return nil, fmt.Errorf("XUQM_PUSH_CA_FILE: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("XUQM_PUSH_CA_FILE: %s holds no PEM certificate", cfg.Push.CAFile)
		}
	}
	return push.New(pool, push.Options{
		Queue: queue, Box: box, RootCAs: roots, Log: log,
		Endpoints: push.Endpoints{
			APNsHost: cfg.Push.APNsHost, FCMHost: cfg.Push.FCMHost, FCMTokenURL: cfg.Push.FCMTokenURL,
			HMSHost: cfg.Push.HMSHost, HMSTokenURL: cfg.Push.HMSTokenURL,
		},
	}), nil
}
