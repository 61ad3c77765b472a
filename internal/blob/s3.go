package blob

import (
	"context"
	"fmt"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config is where an S3 store keeps its objects.
type S3Config struct {
	Endpoint  string // host[:port]
	Bucket    string
	AccessKey string
	SecretKey string
	UseSSL    bool
}

// S3 is a blob store in an S3-compatible bucket (AWS S3, MinIO, Ceph, OSS, COS), shared by
// every instance. Bytes are staged on local disk first, because the key is their hash, known
// only once they have all been read; committing uploads them unless the bucket has the key.
type S3 struct {
	client *minio.Client
	bucket string
	*stager
}

var _ Store = (*S3)(nil)

// NewS3 returns the store; it does not contact the server (see Check). Staging files go to
// stagingDir on local disk.
func NewS3(cfg S3Config, stagingDir string) (*S3, error) {
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseSSL,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: S3 client for %s: %w", cfg.Endpoint, err)
	}
	s := &S3{client: client, bucket: cfg.Bucket}
	if s.stager, err = newStager(stagingDir, s.place); err != nil {
		return nil, err
	}
	return s, nil
}

// Check tells whether the bucket can be reached, so that a wrong setting stops the server at
// start rather than failing the first upload.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob: reach S3 bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blob: S3 bucket %s does not exist", s.bucket)
	}
	return nil
}

// objectName is the bucket's name for key: the key itself, whose hash fan-out also spreads
// the objects over the bucket's key space.
func objectName(key string) string { return key }

func (s *S3) place(ctx context.Context, key string, st *Staged) error {
	if ok, err := s.Exists(ctx, key); err != nil || ok {
		return err
	}
	r, err := st.Reader()
	if err != nil {
		return fmt.Errorf("blob: rewind the staging file: %w", err)
	}
	_, err = s.client.PutObject(ctx, s.bucket, objectName(key), r, st.Size, minio.PutObjectOptions{
		ContentType: st.ContentType,
		// Objects are immutable: any cache in front of the bucket may keep them for good.
		CacheControl: "public, max-age=31536000, immutable",
	})
	if err != nil {
		return fmt.Errorf("blob: upload %s: %w", key, err)
	}
	return nil
}

// Open opens the object under key; reads and seeks become ranged GETs.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, objectName(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		if notFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return &s3Object{Object: obj, size: info.Size}, nil
}

// Exists tells whether an object is under key.
func (s *S3) Exists(ctx context.Context, key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	_, err := s.client.StatObject(ctx, s.bucket, objectName(key), minio.StatObjectOptions{})
	switch {
	case err == nil:
		return true, nil
	case notFound(err):
		return false, nil
	}
	return false, fmt.Errorf("blob: stat %s: %w", key, err)
}

func notFound(err error) bool {
	resp := minio.ToErrorResponse(err)
	return resp.Code == minio.NoSuchKey || (resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket)
}

type s3Object struct {
	*minio.Object
	size int64
}

func (o *s3Object) Size() int64 { return o.size }
