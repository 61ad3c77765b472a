package update_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

func (w *world) signingKey(t testing.TB, token string, body api.RnSigningKeyCreate) api.RnSigningKey {
	t.Helper()
	resp, err := w.Client.CreateRnSigningKeyWithResponse(context.Background(), &api.CreateRnSigningKeyParams{AppId: appKey}, body, testserver.Bearer(token))
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("signing key: %v %s", err, resp.Body)
	}
	return resp.JSON200.Data
}

func publicKeyOf(t testing.TB, pemText string) *rsa.PublicKey {
	t.Helper()
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		t.Fatalf("no PEM: %q", pemText)
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return k.(*rsa.PublicKey)
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		// What expo-updates asks of a code-signing certificate.
		if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 || !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageCodeSigning) ||
			time.Now().Before(c.NotBefore) || time.Now().After(c.NotAfter) || !bytes.Equal(c.RawIssuer, c.RawSubject) ||
			c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) != nil {
			t.Errorf("not a valid self-signed code-signing certificate: %+v", c)
		}
		return c.PublicKey.(*rsa.PublicKey)
	}
	t.Fatalf("PEM type %s", block.Type)
	return nil
}

// verifyJWT checks an RS256 JWT with key and returns its claims.
func verifyJWT(t testing.TB, jwt string, key *rsa.PublicKey) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("JWT signature: %v", err)
	}
	var header, claims map[string]any
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	c, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(h, &header) != nil || json.Unmarshal(c, &claims) != nil || header["alg"] != "RS256" {
		t.Fatalf("JWT %s / %s", h, c)
	}
	return claims
}

func zipFile(t testing.TB, z []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			return b
		}
	}
	return nil
}

func TestSigningKeyManaged(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	ds := w.deployments(t, w.owner)
	key := *ds["Staging"].Key
	unsigned := w.release(t, "Staging", "1.0.0", zipOf(t, "CodePush/index.android.bundle", "before the key"))
	if unsigned.Signed {
		t.Errorf("signed without a key: %+v", unsigned)
	}
	// No key yet: 404, and require-signed cannot be set.
	if r, _ := w.Client.GetRnSigningKeyWithResponse(ctx, &api.GetRnSigningKeyParams{AppId: appKey}, testserver.Bearer(w.owner)); r.StatusCode() != 404 {
		t.Errorf("no key: %d", r.StatusCode())
	}
	if r, _ := w.Client.UpdateRnSigningKeyWithResponse(ctx, &api.UpdateRnSigningKeyParams{AppId: appKey}, api.RnSigningKeyChange{RequireSigned: true}, testserver.Bearer(w.owner)); r.StatusCode() != 409 {
		t.Errorf("require without a key: %d", r.StatusCode())
	}

	k := w.signingKey(t, w.owner, api.RnSigningKeyCreate{})
	pub := publicKeyOf(t, k.PublicKeyPem)
	if certKey := publicKeyOf(t, k.CertificatePem); !certKey.Equal(pub) || k.KeyId != "main" || k.Algorithm != "rsa-v1_5-sha256" {
		t.Errorf("key: %+v", k)
	}
	if strings.Contains(k.PublicKeyPem+k.CertificatePem, "PRIVATE") {
		t.Error("the private key is shown")
	}
	var sealed string
	if err := w.pool.QueryRow(ctx, `SELECT private_key FROM app_signing_keys`).Scan(&sealed); err != nil || !strings.HasPrefix(sealed, "v1:") {
		t.Errorf("private key at rest: %q %v", sealed[:min(len(sealed), 12)], err)
	}
	for format, want := range map[string]string{"": k.CertificatePem, "?format=public-key": k.PublicKeyPem} {
		resp, body := w.Fetch(t, http.MethodGet, "/api/v1/rn/signing-key/certificate?appId="+appKey+strings.Replace(format, "?", "&", 1),
			map[string]string{"Authorization": "Bearer " + w.owner})
		if resp.StatusCode != 200 || string(body) != want || resp.Header.Get("Content-Type") != "application/x-pem-file" {
			t.Errorf("download %q: %d %q", format, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}

	// A CodePush release now carries CodePush/.codepushrelease, whose contentHash is the
	// package hash, which the signature does not change.
	bundle := zipOf(t, "CodePush/index.android.bundle", "signed", "CodePush/assets/a.png", "png", "CodePush/.codepushrelease", "stale")
	rel := w.release(t, "Staging", "1.0.1", bundle)
	if !rel.Signed || rel.PackageHash != packageHash(t, bundle) {
		t.Fatalf("release: %+v", rel)
	}
	info := w.codePushCheck(t, key, "1.0.0", "", "", "c")
	resp, served := w.Fetch(t, http.MethodGet, pathOf(t, info.DownloadUrl), nil)
	if resp.StatusCode != 200 || packageHash(t, served) != rel.PackageHash {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	claims := verifyJWT(t, string(zipFile(t, served, "CodePush/.codepushrelease")), pub)
	if claims["claimVersion"] != "1.0.0" || claims["contentHash"] != rel.PackageHash || claims["iat"] == nil {
		t.Errorf("claims: %+v", claims)
	}
	if string(zipFile(t, served, "CodePush/assets/a.png")) != "png" {
		t.Error("the zip's files changed")
	}

	// Expo manifests are signed when the client expects it, over the part's exact bytes.
	w.release(t, "Staging", "1.0.2", expoExportZip(t, "var signed = 1;", "png"), "runtimeVersion", "1.0.0")
	r := w.expoManifest(t, map[string]string{"expo-expect-signature": `sig, keyid="main", alg="rsa-v1_5-sha256"`})
	if r.manifest == nil || !strings.HasPrefix(r.signature, `sig="`) || !strings.HasSuffix(r.signature, `", keyid="main", alg="rsa-v1_5-sha256"`) {
		t.Fatalf("signature %q", r.signature)
	}
	sig, _ := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(r.signature, `sig="`), `", keyid="main", alg="rsa-v1_5-sha256"`))
	sum := sha256.Sum256(r.raw)
	if err := rsa.VerifyPKCS1v15(publicKeyOf(t, k.CertificatePem), crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("expo-signature: %v", err)
	}
	if r := w.expoManifest(t, nil); r.signature != "" {
		t.Errorf("signed unasked: %q", r.signature)
	}

	// Require signed: the release made before the key is no longer offered, and a plain file
	// cannot be released.
	if r, _ := w.Client.UpdateRnSigningKeyWithResponse(ctx, &api.UpdateRnSigningKeyParams{AppId: appKey}, api.RnSigningKeyChange{RequireSigned: true}, testserver.Bearer(w.owner)); r.JSON200 == nil || !r.JSON200.Data.RequireSigned {
		t.Fatalf("require: %s", r.Body)
	}
	if info := w.codePushCheck(t, key, "1.0.0", "", unsigned.PackageHash, "c"); info.Label != "v2" {
		t.Errorf("signed release: %+v", info)
	}
	off := true
	if r, err := w.Client.UpdateRnReleaseWithResponse(ctx, rel.Id, &api.UpdateRnReleaseParams{}, api.RnReleaseChange{Disabled: &off}, testserver.Bearer(w.owner)); err != nil || r.StatusCode() != 200 {
		t.Fatalf("disable the signed release: %v %v", err, r)
	}
	if info := w.codePushCheck(t, key, "1.0.0", "", "", "c"); info.IsAvailable {
		t.Errorf("unsigned release offered: %+v", info)
	}
	ct, body := form(t, map[string]string{"appId": appKey, "platform": "ANDROID", "moduleId": "main", "version": "1.0.9",
		"deployment": "Staging", "targetBinaryRange": "^1.0.0"}, "index.android.bundle", []byte("plain"))
	if up, _ := w.Client.UploadRnBundleWithBodyWithResponse(ctx, &api.UploadRnBundleParams{}, ct, body, testserver.Bearer(w.owner)); up.StatusCode() != 400 {
		t.Errorf("plain file under require-signed: %d %s", up.StatusCode(), up.Body)
	}
}

func TestSigningKeyUploadAndIsolation(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	own, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(own)}))
	k := w.signingKey(t, w.owner, api.RnSigningKeyCreate{PrivateKeyPem: &pkcs1})
	if !publicKeyOf(t, k.PublicKeyPem).Equal(&own.PublicKey) {
		t.Error("the uploaded key is not the one kept")
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, bad := range map[string]string{
		"not PEM":   "hello",
		"1024 bits": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)})),
		"a cert":    k.CertificatePem,
	} {
		r, _ := w.Client.CreateRnSigningKeyWithResponse(ctx, &api.CreateRnSigningKeyParams{AppId: appKey}, api.RnSigningKeyCreate{PrivateKeyPem: &bad}, testserver.Bearer(w.owner))
		if r.StatusCode() != 400 {
			t.Errorf("%s: %d %s", name, r.StatusCode(), r.Body)
		}
	}
	// Another tenant neither sees nor replaces it; the VIEWER cannot replace it.
	if r, _ := w.Client.GetRnSigningKeyWithResponse(ctx, &api.GetRnSigningKeyParams{AppId: appKey}, testserver.Bearer(w.other)); r.StatusCode() != 403 {
		t.Errorf("other tenant reads: %d", r.StatusCode())
	}
	for _, tok := range []string{w.other, w.viewer} {
		if r, _ := w.Client.CreateRnSigningKeyWithResponse(ctx, &api.CreateRnSigningKeyParams{AppId: appKey}, api.RnSigningKeyCreate{}, testserver.Bearer(tok)); r.StatusCode() != 403 {
			t.Errorf("replaced by a stranger: %d", r.StatusCode())
		}
	}
	if r, _ := w.Client.GetRnSigningKeyWithResponse(ctx, &api.GetRnSigningKeyParams{AppId: appKey}, testserver.Bearer(w.viewer)); r.JSON200 == nil || r.JSON200.Data.Fingerprint != k.Fingerprint {
		t.Errorf("the key changed or the viewer cannot read it: %s", r.Body)
	}
}
