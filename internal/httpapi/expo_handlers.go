package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/update"
)

// The Expo Updates protocol (version 1): the manifest request, answered as multipart/mixed or
// as a JSON manifest by the Accept header, and the assets by hash.

// expoSignature is the structured-field dictionary of expo-signature over a part's body.
func expoSignature(sig string) string {
	return `sig="` + sig + `", keyid="` + update.ExpoKeyID + `", alg="` + update.ExpoAlgorithm + `"`
}

// expoAnswer is the manifest route's answer, written by hand because the signature covers
// the exact bytes of a part.
type expoAnswer struct {
	status      int
	contentType string // of the whole answer; multipart/mixed carries its boundary
	deployment  string
	signature   string // the JSON manifest's, as a response header
	body        []byte
}

func (a expoAnswer) VisitGetExpoManifestResponse(w http.ResponseWriter) error {
	h := w.Header()
	h.Set("expo-protocol-version", "1")
	h.Set("expo-sfv-version", "0")
	h.Set("cache-control", "private, max-age=0")
	if a.deployment != "" {
		h.Set("expo-manifest-filters", `deployment=`+strconv.Quote(a.deployment))
	}
	h.Set("expo-server-defined-headers", "")
	if a.signature != "" {
		h.Set("expo-signature", expoSignature(a.signature))
	}
	if a.contentType != "" {
		h.Set("Content-Type", a.contentType)
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
	}
	w.WriteHeader(a.status)
	_, err := w.Write(a.body)
	return err
}

// expoNotAcceptable is the 406 of the manifest route.
type expoNotAcceptable string

func (m expoNotAcceptable) VisitGetExpoManifestResponse(w http.ResponseWriter) error {
	writeEnvelope(w, http.StatusNotAcceptable, nil, string(m))
	return nil
}

// Response forms of the manifest route.
const (
	expoMultipart = "multipart/mixed"
	expoJSON      = "application/expo+json"
	plainJSON     = "application/json"
)

// expoForm picks the answer's form from Accept by proactive negotiation (RFC 7231 q values):
// the acceptable form of highest q, multipart/mixed first among equals; no Accept, or */*,
// is multipart/mixed. Empty: none is acceptable.
func expoForm(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return expoMultipart
	}
	forms := []string{expoMultipart, expoJSON, plainJSON}
	q := map[string]float64{}
	for _, r := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(r))
		if err != nil {
			continue
		}
		weight := 1.0
		if v, ok := params["q"]; ok {
			if weight, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		for _, f := range forms {
			if mt == f || mt == "*/*" || (strings.HasSuffix(mt, "/*") && strings.HasPrefix(f, strings.TrimSuffix(mt, "*"))) {
				// The most specific range decides a form's q.
				if old, ok := q[f]; !ok || mt == f || old < weight && mt != "*/*" {
					q[f] = weight
				}
			}
		}
	}
	best, bestQ := "", 0.0
	for _, f := range forms {
		if w, ok := q[f]; ok && w > bestQ {
			best, bestQ = f, w
		}
	}
	return best
}

// failedUpdateIDs reads expo-recent-failed-update-ids, a structured-field list of strings.
func failedUpdateIDs(h *string) []string {
	if h == nil {
		return nil
	}
	var out []string
	for _, item := range strings.Split(*h, ",") {
		item, _, _ = strings.Cut(item, ";") // parameters, none expected
		if s := strings.Trim(strings.TrimSpace(item), `"`); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// GetExpoManifest answers an Expo client's manifest request.
func (s *Server) GetExpoManifest(ctx context.Context, req api.GetExpoManifestRequestObject) (api.GetExpoManifestResponseObject, error) {
	p := req.Params
	r := requestFrom(ctx)
	form := expoForm(r.Header.Get("Accept"))
	if form == "" {
		return expoNotAcceptable("the manifest is served as multipart/mixed, application/expo+json or application/json; accept one of them"), nil
	}
	moduleID := "main"
	if p.ModuleId != nil {
		moduleID = *p.ModuleId
	}
	a, err := s.updates.ExpoManifestFor(ctx, update.ExpoRequest{
		AppKey: req.AppId, ModuleID: moduleID, Platform: p.ExpoPlatform, RuntimeVersion: p.ExpoRuntimeVersion,
		Channel: text(p.ExpoChannelName), CurrentUpdateID: text(p.ExpoCurrentUpdateId), EmbeddedUpdateID: text(p.ExpoEmbeddedUpdateId),
		ClientID: text(p.EasClientId), FailedUpdateIDs: failedUpdateIDs(p.ExpoRecentFailedUpdateIds),
	})
	if err != nil {
		return nil, err
	}
	protocol1 := p.ExpoProtocolVersion != nil && strings.TrimSpace(*p.ExpoProtocolVersion) == "1"
	signed := p.ExpoExpectSignature != nil
	out := expoAnswer{status: http.StatusOK, deployment: a.Deployment}
	if a.Manifest == nil {
		switch {
		case !protocol1:
			out.status = http.StatusNoContent // protocol 0 knows no directives: nothing to do
			return out, nil
		case form != expoMultipart:
			return expoNotAcceptable("there is no update to serve, only a " + a.Directive + " directive, which needs multipart/mixed; accept it"), nil
		}
	}
	var parts []expoPart
	if a.Manifest != nil {
		body, err := json.Marshal(apiExpoManifest(a.Manifest, s.baseURL(r)))
		if err != nil {
			return nil, err
		}
		parts = append(parts, expoPart{name: "manifest", body: body})
		ext, _ := json.Marshal(expoExtensions{AssetRequestHeaders: map[string]map[string]string{}})
		parts = append(parts, expoPart{name: "extensions", body: ext, unsigned: true})
	} else {
		d := expoDirective{Type: a.Directive}
		if a.Directive == update.RollBackToEmbedded {
			d.Parameters = map[string]any{"commitTime": a.CommitTime.Format("2006-01-02T15:04:05.000Z07:00")}
		}
		body, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		parts = append(parts, expoPart{name: "directive", body: body})
	}
	if signed {
		for i := range parts {
			if parts[i].unsigned {
				continue
			}
			if parts[i].signature, err = s.updates.SignExpo(ctx, req.AppId, parts[i].body); err != nil {
				return nil, err
			}
		}
	}
	if form != expoMultipart {
		out.contentType, out.body, out.signature = form, parts[0].body, parts[0].signature
		return out, nil
	}
	out.contentType, out.body = writeExpoParts(parts)
	return out, nil
}

// The bodies of the extensions and directive parts (ExpoExtensions and ExpoDirective of the
// contract, which the generator leaves out: no JSON response carries them).
type expoExtensions struct {
	AssetRequestHeaders map[string]map[string]string `json:"assetRequestHeaders"`
}

type expoDirective struct {
	Type       string         `json:"type"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

// expoPart is one part of a multipart answer.
type expoPart struct {
	name, signature string
	body            []byte
	unsigned        bool // the extensions: outside the code-signing scheme
}

func writeExpoParts(parts []expoPart) (contentType string, body []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `inline; name="`+p.name+`"`)
		h.Set("Content-Type", "application/json; charset=utf-8")
		if p.signature != "" {
			h["expo-signature"] = []string{expoSignature(p.signature)}
		}
		w, _ := mw.CreatePart(h) // writes into memory: cannot fail
		_, _ = w.Write(p.body)   // into memory, as above
	}
	mw.Close()
	return "multipart/mixed; boundary=" + mw.Boundary(), buf.Bytes()
}

func apiExpoAsset(a update.ExpoAsset, base string) api.ExpoAsset {
	out := api.ExpoAsset{Hash: a.Hash, Key: a.Key, ContentType: a.ContentType, Url: base + a.Path}
	if a.FileExtension != "" {
		out.FileExtension = &a.FileExtension
	}
	return out
}

func apiExpoManifest(m *update.ExpoManifest, base string) api.ExpoManifest {
	assets := make([]api.ExpoAsset, len(m.Assets))
	for i, a := range m.Assets {
		assets[i] = apiExpoAsset(a, base)
	}
	extra := map[string]any{}
	if len(m.ExpoClient) > 0 {
		extra["expoClient"] = m.ExpoClient
	}
	return api.ExpoManifest{
		Id: m.ID, CreatedAt: m.CreatedAt.UTC().Truncate(time.Millisecond), RuntimeVersion: m.RuntimeVersion,
		LaunchAsset: apiExpoAsset(m.LaunchAsset, base), Assets: assets, Metadata: m.Metadata, Extra: extra,
	}
}

// DownloadExpoAsset serves an asset of an Expo update by its SHA-256: content-addressed, so
// cacheable forever.
func (s *Server) DownloadExpoAsset(ctx context.Context, req api.DownloadExpoAssetRequestObject) (api.DownloadExpoAssetResponseObject, error) {
	f, err := s.updates.ExpoAsset(ctx, req.AppId, req.Hash)
	if err != nil {
		return nil, err
	}
	if p := req.Params; acceptsBsdiff(p.AIM) && p.ExpoCurrentUpdateID != nil && p.Range == nil {
		patch, ok, err := s.updates.ExpoAssetPatch(ctx, req.AppId, f.SHA256, *p.ExpoCurrentUpdateID)
		if err != nil {
			f.Object.Close()
			return nil, err
		}
		if ok {
			f.Object.Close()
			return bsdiffPatch{patch: patch, etag: `"` + f.SHA256 + `"`}, nil
		}
	}
	return download{
		r: requestFrom(ctx), obj: f.Object, contentType: f.ContentType, etag: `"` + f.SHA256 + `"`, ranges: true,
		header: map[string]string{"Cache-Control": immutable},
	}, nil
}

func (d download) VisitDownloadExpoAssetResponse(w http.ResponseWriter) error { return d.serve(w) }

func apiRnSigningKey(k update.SigningKey) api.RnSigningKey {
	return api.RnSigningKey{
		AppId: k.AppKey, Fingerprint: k.Fingerprint, PublicKeyPem: k.PublicKeyPEM, CertificatePem: k.CertificatePEM,
		KeyId: api.RnSigningKeyKeyId(update.ExpoKeyID), Algorithm: api.RnSigningKeyAlgorithm(update.ExpoAlgorithm),
		RequireSigned: k.RequireSigned, CreatedAt: k.CreatedAt,
	}
}

// GetRnSigningKey shows the app's signing key.
func (s *Server) GetRnSigningKey(ctx context.Context, req api.GetRnSigningKeyRequestObject) (api.GetRnSigningKeyResponseObject, error) {
	k, err := s.updates.GetSigningKey(ctx, principalFrom(ctx), req.Params.AppId)
	if err != nil {
		return nil, err
	}
	return success[api.GetRnSigningKey200JSONResponse](apiRnSigningKey(k)), nil
}

// CreateRnSigningKey makes the app's signing key, or takes the tenant's.
func (s *Server) CreateRnSigningKey(ctx context.Context, req api.CreateRnSigningKeyRequestObject) (api.CreateRnSigningKeyResponseObject, error) {
	var pem *string
	if req.Body != nil {
		pem = req.Body.PrivateKeyPem
	}
	k, err := s.updates.CreateSigningKey(ctx, principalFrom(ctx), req.Params.AppId, pem)
	if err != nil {
		return nil, err
	}
	return success[api.CreateRnSigningKey200JSONResponse](apiRnSigningKey(k)), nil
}

// UpdateRnSigningKey turns the require-signed setting on or off.
func (s *Server) UpdateRnSigningKey(ctx context.Context, req api.UpdateRnSigningKeyRequestObject) (api.UpdateRnSigningKeyResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	k, err := s.updates.SetRequireSigned(ctx, principalFrom(ctx), req.Params.AppId, req.Body.RequireSigned)
	if err != nil {
		return nil, err
	}
	return success[api.UpdateRnSigningKey200JSONResponse](apiRnSigningKey(k)), nil
}

// DownloadRnSigningCertificate serves the certificate, or the public key, as a PEM file.
func (s *Server) DownloadRnSigningCertificate(ctx context.Context, req api.DownloadRnSigningCertificateRequestObject) (api.DownloadRnSigningCertificateResponseObject, error) {
	k, err := s.updates.GetSigningKey(ctx, principalFrom(ctx), req.Params.AppId)
	if err != nil {
		return nil, err
	}
	body := k.CertificatePEM
	if req.Params.Format != nil && *req.Params.Format == api.PublicKey {
		body = k.PublicKeyPEM
	}
	return api.DownloadRnSigningCertificate200ApplicationxPemFileResponse{Body: strings.NewReader(body), ContentLength: int64(len(body))}, nil
}
