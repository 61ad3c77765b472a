//go:build unix

package realtime

import (
	"errors"
	"net"
	"syscall"
)

// readableFunc returns a function that waits until nc has bytes to read (or has reached its
// end, or failed) without reading any; nil when nc is not a socket it can wait on.
func readableFunc(nc net.Conn) func() {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return func() {
		var b [1]byte
		// RawConn.Read calls the function, and again each time the poller finds the socket
		// readable, until it returns true; MSG_PEEK leaves the byte for the reader.
		_ = raw.Read(func(fd uintptr) bool {
			_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			return !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR)
		})
	}
}
