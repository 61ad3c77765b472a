package cli

import (
	"context"
	"path/filepath"

	"github.com/xuqmgroup/xuqm/internal/blob"
	"github.com/xuqmgroup/xuqm/internal/config"
)

// openBlobs is the blob store of files, thumbnails, APKs and bundles: the S3 bucket when one is
// configured (and reachable), otherwise a directory under XUQM_DATA_DIR.
func openBlobs(ctx context.Context, cfg config.Config) (blob.Store, error) {
	if !cfg.S3.Enabled() {
		return blob.NewDir(filepath.Join(cfg.DataDir, "blobs"))
	}
	s3, err := blob.NewS3(blob.S3Config{
		Endpoint: cfg.S3.Endpoint, Bucket: cfg.S3.Bucket,
		AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey, UseSSL: cfg.S3.UseSSL,
	}, filepath.Join(cfg.DataDir, "staging"))
	if err != nil {
		return nil, err
	}
	return s3, s3.Check(ctx)
}
