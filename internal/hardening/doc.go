// Package hardening holds the adversarial tests of the whole server: tenant isolation driven by
// the contract, credentials, secrets at rest, resources and durability. It has no code of its
// own; the tests boot the real server with internal/testserver.
package hardening
