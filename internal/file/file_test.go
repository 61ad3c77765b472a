package file

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/blob"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// fixture is a service on a fresh database and blob directory, with one tenant and its app.
type fixture struct {
	svc    *Service
	pool   *pgxpool.Pool
	root   string // the blob directory
	tenant int64
	app    *auth.App
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	pool := pgtest.NewDB(t)
	root := t.TempDir()
	blobs, err := blob.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 10 << 20
	}
	if cfg.ThumbMaxPixels == 0 {
		cfg.ThumbMaxPixels = 40_000_000
	}
	f := &fixture{svc: New(pool, blobs, cfg), pool: pool, root: root}
	f.tenant, f.app = newApp(t, pool, "ak_files")
	return f
}

// newApp inserts a tenant with one app whose services are all on.
func newApp(t testing.TB, pool *pgxpool.Pool, key string) (int64, *auth.App) {
	t.Helper()
	ctx := context.Background()
	var tenant, app int64
	if err := pool.QueryRow(ctx, `INSERT INTO tenants (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, key).Scan(&tenant); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 'secret', $2) RETURNING id`, tenant, key).Scan(&app); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO app_services (app_id, service_type, secret_key)
		SELECT $1, s, 'service-key-' || s FROM unnest(ARRAY['IM','PUSH','FILE','UPDATE']) AS s`, app); err != nil {
		t.Fatal(err)
	}
	return tenant, &auth.App{ID: app, TenantID: tenant, Key: key}
}

func (f *fixture) imUser(id string) *auth.Principal {
	return &auth.Principal{Kind: auth.KindIM, UserID: id, TenantID: f.tenant, App: f.app}
}

// objects lists the files under the blob directory's dir ("sha256", "tmp", "thumb").
func (f *fixture) objects(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(f.root, dir), func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUploadIsAddressedByItsHash(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	data := []byte("%PDF-1.4 hello")
	info, err := f.svc.Upload(ctx, f.imUser("alice"), "docs/report.pdf", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if info.Hash != sum(data) || info.Size != int64(len(data)) || info.Name != "report.pdf" || info.ContentType != "application/pdf" {
		t.Errorf("info = %+v, want hash %s, size %d, name report.pdf, type application/pdf", info, sum(data), len(data))
	}
	_, obj, err := f.svc.Open(ctx, info.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got, _ := io.ReadAll(obj)
	if !bytes.Equal(got, data) {
		t.Errorf("stored bytes differ")
	}
	if tmp := f.objects(t, "tmp"); len(tmp) != 0 {
		t.Errorf("staging files left: %v", tmp)
	}
}

func TestContentTypeIsSniffedNotTrusted(t *testing.T) {
	f := newFixture(t, Config{})
	png := encodePNG(t, halves(8, 4))
	info, err := f.svc.Upload(context.Background(), f.imUser("alice"), "picture.txt", bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentType != "image/png" {
		t.Errorf("contentType = %q, want image/png from the bytes", info.ContentType)
	}
}

func TestReuploadKeepsOneCopy(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	data := randomBytes(t, 100_000)
	first, err := f.svc.Upload(ctx, f.imUser("alice"), "a.bin", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.svc.Upload(ctx, f.imUser("bob"), "b.bin", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if first.Hash != second.Hash || second.Name != "b.bin" {
		t.Errorf("second upload = %+v, want hash %s and its own name", second, first.Hash)
	}
	if objs := f.objects(t, "sha256"); len(objs) != 1 {
		t.Errorf("blobs = %v, want one", objs)
	}
	stat, err := f.svc.Stat(ctx, first.Hash)
	if err != nil || stat.Name != "a.bin" {
		t.Errorf("Stat = %+v, %v; want the first upload's name", stat, err)
	}
	usage, err := f.svc.Usage(ctx, f.app.ID)
	if err != nil || usage != (Usage{Uploads: 2, Bytes: 200_000}) {
		t.Errorf("usage = %+v, %v; want both uploads remembered", usage, err)
	}
}

func TestConcurrentIdenticalUploadsStoreOneBlob(t *testing.T) {
	f := newFixture(t, Config{})
	data := randomBytes(t, 1<<20)
	const n = 20
	var wg sync.WaitGroup
	hashes := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			info, err := f.svc.Upload(context.Background(), f.imUser("alice"), "same.bin", bytes.NewReader(data))
			hashes[i], errs[i] = info.Hash, err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || hashes[i] != sum(data) {
			t.Fatalf("upload %d: %s, %v", i, hashes[i], errs[i])
		}
	}
	if objs := f.objects(t, "sha256"); len(objs) != 1 {
		t.Errorf("blobs = %v, want one", objs)
	}
	if tmp := f.objects(t, "tmp"); len(tmp) != 0 {
		t.Errorf("staging files left: %v", tmp)
	}
	var rows, uploads int
	if err := f.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM file_uploads)`).Scan(&rows, &uploads); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || uploads != n {
		t.Errorf("files rows %d, upload rows %d; want 1 and %d", rows, uploads, n)
	}
}

func TestUploadOverTheLimitLeavesNothing(t *testing.T) {
	f := newFixture(t, Config{MaxBytes: 1000})
	ctx := context.Background()
	_, err := f.svc.Upload(ctx, f.imUser("alice"), "big.bin", bytes.NewReader(randomBytes(t, 1001)))
	if !fault.Is(err, fault.TooLarge) {
		t.Fatalf("err = %v, want too large", err)
	}
	if objs := append(f.objects(t, "sha256"), f.objects(t, "tmp")...); len(objs) != 0 {
		t.Errorf("left on disk: %v", objs)
	}
	if _, err := f.svc.Upload(ctx, f.imUser("alice"), "fits.bin", bytes.NewReader(randomBytes(t, 1000))); err != nil {
		t.Errorf("an upload of exactly the limit: %v", err)
	}
}

type brokenReader struct{ n int }

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func TestBrokenUploadIsRefusedAndLeavesNothing(t *testing.T) {
	f := newFixture(t, Config{})
	_, err := f.svc.Upload(context.Background(), f.imUser("alice"), "x", &brokenReader{n: 5000})
	if fe := fault.As(err); fe.Kind != fault.Invalid || len(fe.Fields) != 1 || fe.Fields[0].Field != "file" {
		t.Fatalf("err = %v, want invalid naming file", err)
	}
	if objs := append(f.objects(t, "sha256"), f.objects(t, "tmp")...); len(objs) != 0 {
		t.Errorf("left on disk: %v", objs)
	}
}

func TestUploadCallers(t *testing.T) {
	f := newFixture(t, Config{})
	otherTenant, otherApp := newApp(t, f.pool, "ak_other")
	tests := []struct {
		name string
		p    *auth.Principal
		want fault.Kind
	}{
		{"owner", &auth.Principal{Kind: auth.KindTenant, TenantID: f.tenant, AccountID: 1, Role: auth.RoleMain, App: f.app}, -1},
		{"another tenant", &auth.Principal{Kind: auth.KindTenant, TenantID: otherTenant, AccountID: 2, Role: auth.RoleMain, App: f.app}, fault.Forbidden},
		{"IM user of the other app", &auth.Principal{Kind: auth.KindIM, UserID: "u", TenantID: otherTenant, App: otherApp}, -1},
		{"no app", &auth.Principal{Kind: auth.KindIM, UserID: "u"}, fault.Invalid},
		{"operator", &auth.Principal{Kind: auth.KindOps, OperatorID: 1, App: f.app}, fault.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Upload(context.Background(), tt.p, "n.txt", strings.NewReader("hello"))
			switch {
			case tt.want < 0 && err != nil:
				t.Errorf("err = %v, want success", err)
			case tt.want >= 0 && !fault.Is(err, tt.want):
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestStatRefusesBadAndUnknownHashes(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	if _, err := f.svc.Stat(ctx, "../../etc/passwd"); !fault.Is(err, fault.Invalid) {
		t.Errorf("bad hash: %v", err)
	}
	if _, err := f.svc.Stat(ctx, sum([]byte("never uploaded"))); !fault.Is(err, fault.NotFound) {
		t.Errorf("unknown hash: %v", err)
	}
}

func TestCleanName(t *testing.T) {
	tests := map[string]string{
		"photo.jpg":                "photo.jpg",
		"C:\\Users\\me\\photo.jpg": "photo.jpg",
		"../../etc/passwd":         "passwd",
		"":                         "file",
		"..":                       "file",
		"dir/":                     "dir",
		"  spaced name.txt ":       "spaced name.txt", //nolint:gocritic // the spaces are the case
		"bad\r\nname\x00.txt":      "badname.txt",
		"报告.pdf":                   "报告.pdf",
		strings.Repeat("长", 300):   strings.Repeat("长", 255),
		"a\"quote\".txt":           "a\"quote\".txt",
	}
	for in, want := range tests {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
