//go:build !unix

package realtime

import "net"

// readableFunc is unix-only: elsewhere the reader waits inside the WebSocket's Read.
func readableFunc(net.Conn) func() { return nil }
