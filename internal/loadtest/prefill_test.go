package loadtest

import (
	"strings"
	"testing"
)

func TestPrefillScript(t *testing.T) {
	s := Prefill{Prefix: "p'f", Users: 20000, Chats: 100000, PerChat: 10}.Script(7)
	for _, leftover := range []string{":app", ":prefix ", ":users", ":chats", ":per_chat"} {
		if strings.Contains(s, leftover+" ") || strings.Contains(s, leftover+",") || strings.Contains(s, leftover+")") {
			t.Errorf("parameter %s left in the script", leftover)
		}
	}
	if !strings.Contains(s, "'p''f' || (i % 20000)") || !strings.Contains(s, "md5(v::text)") || !strings.Contains(s, "SELECT 7, 'SINGLE'") {
		t.Errorf("substitution went wrong:\n%s", s)
	}
}

func TestPrefillStaysOnThisMachine(t *testing.T) {
	p := Prefill{DatabaseURL: "postgres://postgres@10.1.2.3:5432/x", AppKey: "ak", Prefix: "pf", Users: 10, Chats: 10, PerChat: 1}
	if err := p.Run(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "not a loopback") {
		t.Errorf("a remote database: %v", err)
	}
	p.DatabaseURL, p.Chats = "postgres://postgres@127.0.0.1:5432/x", 15 // 10 users do not divide 15 conversations
	if err := p.Run(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "dividing") {
		t.Errorf("uneven sizes: %v", err)
	}
}
