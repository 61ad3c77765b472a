package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "0.0.0.0": false, "100.64.0.1": false, "::ffff:127.0.0.1": false,
		"fd00::1": false, "8.8.8.8": true, "2001:4860:4860::8888": true, "93.184.216.34": true,
	} {
		if got := publicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

// The dial-time check refuses a private address whatever name led to it (DNS rebinding).
func TestDialerRefusesPrivateAddresses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := dialer(false).DialContext(context.Background(), "tcp", ln.Addr().String()); !errors.Is(err, errPrivate) {
		t.Fatalf("dial to loopback: %v, want refused", err)
	}
	c, err := dialer(true).DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial to loopback when allowed: %v", err)
	}
	c.Close()
}
