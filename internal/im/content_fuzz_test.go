package im

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckContent: the content validator never panics, and what it accepts keeps its
// promises: no NUL, at most MaxContentChars characters, and for every type but TEXT a JSON
// object. The corpus in testdata/fuzz/FuzzCheckContent runs with every `go test`.
func FuzzCheckContent(f *testing.F) {
	for _, seed := range []struct{ t, content string }{
		{"TEXT", "hello"}, {"TEXT", "你好"}, {"IMAGE", `{"url":"https://example.com/a.png"}`},
		{"AUDIO", `{"url":"u","duration":3}`}, {"FILE", `{"url":"u","name":"a.pdf","size":12}`},
		{"LOCATION", `{"latitude":31.2,"longitude":121.5}`}, {"CUSTOM", `{"a":[1,{"b":null}]}`},
		{"FORWARD", `{"messageId":"1"}`}, {"QUOTE", `{"quotedMsgId":"1","text":"x"}`}, {"MERGE", `{"title":"t","messageIds":["1","2"]}`},
		{"RICH_TEXT", `{"type":"doc"}`}, {"CALL_AUDIO", `{"callId":"c","status":"ENDED"}`}, {"NOTIFY", `{"text":"n"}`},
	} {
		f.Add(seed.t, seed.content)
	}
	f.Fuzz(func(t *testing.T, msgType, content string) {
		obj, err := checkContent(MsgType(msgType), content)
		if err != nil {
			return
		}
		if strings.ContainsRune(content, 0) {
			t.Errorf("accepted a NUL in %q", content)
		}
		if utf8.RuneCountInString(content) > MaxContentChars {
			t.Errorf("accepted %d characters", utf8.RuneCountInString(content))
		}
		if MsgType(msgType) != Text {
			var m map[string]json.RawMessage
			if json.Unmarshal([]byte(content), &m) != nil || m == nil {
				t.Errorf("accepted %s content that is not a JSON object: %q", msgType, content)
			}
			_ = obj
		}
	})
}
