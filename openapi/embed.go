// Package openapi holds the hand-written contracts; this file embeds the AsyncAPI document so
// that the binary can serve it on /docs (the OpenAPI bundle is embedded by gen/api).
package openapi

import _ "embed"

// AsyncAPI is asyncapi.yaml, the WebSocket frames.
//
//go:embed asyncapi.yaml
var AsyncAPI []byte
