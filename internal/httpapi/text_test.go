package httpapi

import "testing"

func TestJSONHasNUL(t *testing.T) {
	for body, want := range map[string]bool{
		`{"a":"x\u0000y"}`:        true,
		`{"a":"\\u0000"}`:         false, // an escaped backslash, then the letters u0000
		`{"a":"\\\u0000"}`:        true,
		`{"a":"u0000"}`:           false,
		`{"a":"ok","b":"\u0000"}`: true,
		`{}`:                      false,
	} {
		if got := jsonHasNUL([]byte(body)); got != want {
			t.Errorf("jsonHasNUL(%s) = %v, want %v", body, got, want)
		}
	}
	if storable("a\x00b") || storable("\xff") || !storable("你好") {
		t.Error("storable")
	}
}
