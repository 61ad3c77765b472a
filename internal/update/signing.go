package update

import (
	"archive/zip"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/blob"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Code signing managed by the server: an app has at most one RSA key, made here or uploaded by
// its tenant, whose private half never leaves the server (sealed at rest with the server key).
// CodePush releases get the `.codepushrelease` JWT that react-native-code-push checks with the
// public key (CodePushPublicKey); Expo manifests get the expo-signature that expo-updates
// checks with the certificate (updates.codeSigningCertificate).

// The key id and algorithm of Expo's code signing (updates.codeSigningMetadata).
const (
	ExpoKeyID     = "main"
	ExpoAlgorithm = "rsa-v1_5-sha256"
)

// signingKeyBits is the size of keys the server makes; uploads take 2048 to 8192 bits.
const signingKeyBits = 2048

// SigningKey is what may be shown of an app's signing key.
type SigningKey struct {
	AppKey         string
	Fingerprint    string // SHA-256 (hex) of the public key's DER
	PublicKeyPEM   string // PKIX "PUBLIC KEY", for CodePushPublicKey
	CertificatePEM string // self-signed code-signing certificate, for expo-updates
	RequireSigned  bool
	CreatedAt      time.Time
}

func signingKeyOf(row db.AppSigningKey, appKey string) SigningKey {
	return SigningKey{
		AppKey: appKey, Fingerprint: row.Fingerprint, PublicKeyPEM: row.PublicKeyPem, CertificatePEM: row.CertificatePem,
		RequireSigned: row.RequireSigned, CreatedAt: row.CreatedAt,
	}
}

func signingAAD(appID int64) string { return "app_signing_keys:" + strconv.FormatInt(appID, 10) }

// parsePrivateKey reads an uploaded RSA private key: PEM, PKCS #1 ("RSA PRIVATE KEY") or
// PKCS #8 ("PRIVATE KEY").
func parsePrivateKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, fault.InvalidField("privateKeyPem", "must be a PEM block (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fault.InvalidField("privateKeyPem", "is a PEM block of type %q; send the private key (PRIVATE KEY or RSA PRIVATE KEY)", block.Type)
	}
	if err != nil {
		return nil, fault.InvalidField("privateKeyPem", "cannot be read: %v", err)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fault.InvalidField("privateKeyPem", "must be an RSA key (CodePush and Expo sign with RS256)")
	}
	if bits := rk.N.BitLen(); bits < 2048 || bits > 8192 {
		return nil, fault.InvalidField("privateKeyPem", "is a %d-bit key; use 2048 to 8192 bits", bits)
	}
	return rk, nil
}

// codeSigningCertificate is a self-signed certificate of key for code signing, as expo-updates
// requires: digital signature key usage, the code-signing extended key usage, valid now.
func codeSigningCertificate(key *rsa.PrivateKey, appKey string, now time.Time) (string, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "XuqmGroup code signing " + appKey, Organization: []string{"XuqmGroup"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// CreateSigningKey gives the app a signing key: the uploaded one (privateKeyPEM), or without it
// a new 2048-bit one. A key the app had is replaced: releases made from now on are signed with
// the new one, and the apps' configuration must carry its public key or certificate.
func (s *Service) CreateSigningKey(ctx context.Context, p *auth.Principal, appKey string, privateKeyPEM *string) (SigningKey, error) {
	var key *rsa.PrivateKey
	var err error
	if privateKeyPEM != nil {
		if key, err = parsePrivateKey(*privateKeyPEM); err != nil {
			return SigningKey{}, err
		}
	}
	a, err := s.appByKey(ctx, p, appKey)
	if err != nil {
		return SigningKey{}, err
	}
	if s.cfg.Box == nil {
		return SigningKey{}, fault.Wrap(errors.New("no secret box configured"), "seal signing key")
	}
	if key == nil {
		if key, err = rsa.GenerateKey(rand.Reader, signingKeyBits); err != nil {
			return SigningKey{}, fault.Wrap(err, "generate signing key")
		}
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return SigningKey{}, fault.Wrap(err, "encode public key")
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return SigningKey{}, fault.Wrap(err, "encode private key")
	}
	cert, err := codeSigningCertificate(key, a.Key, time.Now())
	if err != nil {
		return SigningKey{}, fault.Wrap(err, "make certificate")
	}
	sum := sha256.Sum256(pub)
	row, err := s.q.UpsertAppSigningKey(ctx, db.UpsertAppSigningKeyParams{
		AppID: a.ID, PrivateKey: s.cfg.Box.Seal(priv, signingAAD(a.ID)),
		PublicKeyPem:   string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		CertificatePem: cert, Fingerprint: hex.EncodeToString(sum[:]),
	})
	if err != nil {
		return SigningKey{}, fault.Wrap(err, "store signing key")
	}
	return signingKeyOf(row, a.Key), nil
}

// GetSigningKey shows the app's signing key (never its private half).
func (s *Service) GetSigningKey(ctx context.Context, p *auth.Principal, appKey string) (SigningKey, error) {
	a, err := s.appByKey(ctx, p, appKey)
	if err != nil {
		return SigningKey{}, err
	}
	row, err := s.q.GetAppSigningKey(ctx, a.ID)
	if errors.Is(err, postgres.ErrNotFound) {
		return SigningKey{}, fault.NotFoundf("app %s has no signing key; make one with POST /api/v1/rn/signing-key", a.Key)
	}
	if err != nil {
		return SigningKey{}, fault.Wrap(err, "load signing key")
	}
	return signingKeyOf(row, a.Key), nil
}

// SetRequireSigned turns the app's require-signed setting on or off; it needs a key.
func (s *Service) SetRequireSigned(ctx context.Context, p *auth.Principal, appKey string, require bool) (SigningKey, error) {
	a, err := s.appByKey(ctx, p, appKey)
	if err != nil {
		return SigningKey{}, err
	}
	row, err := s.q.SetAppSigningRequired(ctx, db.SetAppSigningRequiredParams{AppID: a.ID, RequireSigned: require})
	if errors.Is(err, postgres.ErrNotFound) {
		return SigningKey{}, fault.Conflictf("app %s has no signing key; make one with POST /api/v1/rn/signing-key first", a.Key)
	}
	if err != nil {
		return SigningKey{}, fault.Wrap(err, "change signing key")
	}
	return signingKeyOf(row, a.Key), nil
}

// appSigner is an app's signing key, opened; nil when the app has none.
type appSigner struct {
	key           *rsa.PrivateKey
	requireSigned bool
}

func (s *Service) signer(ctx context.Context, appID int64) (*appSigner, error) {
	row, err := s.q.GetAppSigningKey(ctx, appID)
	if errors.Is(err, postgres.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fault.Wrap(err, "load signing key")
	}
	if s.cfg.Box == nil {
		return nil, fault.Wrap(errors.New("no secret box configured"), "open signing key")
	}
	der, err := s.cfg.Box.Open(row.PrivateKey, signingAAD(appID))
	if err != nil {
		return nil, fault.Wrap(err, "open signing key")
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fault.Wrap(err, "read signing key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fault.Wrap(errors.New("not an RSA key"), "read signing key")
	}
	return &appSigner{key: rk, requireSigned: row.RequireSigned}, nil
}

// sign is RSASSA-PKCS1-v1_5 with SHA-256 over body: RS256 of JWTs, rsa-v1_5-sha256 of Expo.
func (k *appSigner) sign(body []byte) ([]byte, error) {
	sum := sha256.Sum256(body)
	return rsa.SignPKCS1v15(nil, k.key, crypto.SHA256, sum[:])
}

// SignExpo is the base64 signature of an Expo manifest or directive part's body with the
// app's key; empty when the app has no key (the client that expects one then refuses it).
func (s *Service) SignExpo(ctx context.Context, appKey string, body []byte) (string, error) {
	a, err := s.publicApp(ctx, appKey)
	if err != nil {
		return "", err
	}
	k, err := s.signer(ctx, a.ID)
	if err != nil || k == nil {
		return "", err
	}
	sig, err := k.sign(body)
	if err != nil {
		return "", fault.Wrap(err, "sign manifest")
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// codePushReleaseFile is where react-native-code-push looks for the signature in an unzipped
// update (CodePushUpdateUtils.getSignatureFilePath: <update>/CodePush/.codepushrelease).
const codePushReleaseFile = "CodePush/.codepushrelease"

// codePushReleaseJWT is the `.codepushrelease` of a package: a JWT signed RS256 with claims
// {claimVersion, contentHash, iat}, as `code-push release --privateKeyPath` writes it.
func (k *appSigner) codePushReleaseJWT(contentHash string, now time.Time) (string, error) {
	header := base64URL([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(struct {
		ClaimVersion string `json:"claimVersion"`
		ContentHash  string `json:"contentHash"`
		Iat          int64  `json:"iat"`
	}{"1.0.0", contentHash, now.Unix()})
	if err != nil {
		return "", err
	}
	signingInput := header + "." + base64URL(claims)
	sig, err := k.sign([]byte(signingInput))
	if err != nil {
		return "", err
	}
	return signingInput + "." + base64URL(sig), nil
}

// signZip stages a copy of a CodePush zip with its `.codepushrelease` (any it had replaced):
// the other entries are copied as they are, so the package hash does not change.
func (s *Service) signZip(ctx context.Context, ra io.ReaderAt, size int64, jwt string) (*blob.Staged, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fault.Wrap(err, "read zip to sign")
	}
	pr, pw := io.Pipe()
	go func() {
		zw := zip.NewWriter(pw)
		err := func() error {
			for _, f := range zr.File {
				if path.Base(f.Name) == ".codepushrelease" {
					continue
				}
				if err := zw.Copy(f); err != nil {
					return err
				}
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: codePushReleaseFile, Method: zip.Deflate, Modified: time.Now()})
			if err != nil {
				return err
			}
			if _, err := io.WriteString(w, jwt); err != nil {
				return err
			}
			return zw.Close()
		}()
		pw.CloseWithError(err)
	}()
	staged, err := s.blobs.Stage(ctx, pr, s.cfg.MaxBytes+int64(len(jwt))+1024)
	pr.CloseWithError(io.ErrClosedPipe) // stops the writer when staging gave up early
	if err != nil {
		return nil, fault.Wrap(err, "stage signed zip")
	}
	return staged, nil
}

// requiresSigned tells whether the app requires signed releases.
func (s *Service) requiresSigned(ctx context.Context, appID int64) (bool, error) {
	row, err := s.q.GetAppSigningKey(ctx, appID)
	if errors.Is(err, postgres.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fault.Wrap(err, "load signing key")
	}
	return row.RequireSigned, nil
}
