// Package schema holds the forward-only migrations: sqlc's schema input and the runtime
// migrator's source, embedded in the binary.
package schema

import "embed"

// Migrations are the goose migration files, applied in the order of their numbers.
//
//go:embed *.sql
var Migrations embed.FS
