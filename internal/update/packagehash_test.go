package update

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"testing"
)

// The package hash is the SHA-256 of JSON.stringify(sorted "path:sha256" strings), written
// here with Go's encoder (HTML escaping off, which JSON.stringify never does).
func TestPackageHashIsCodePushs(t *testing.T) {
	files := map[string]string{
		"CodePush/index.android.bundle": "bundle", "CodePush/assets/img<1>&.png": "png", "CodePush/中文.json": "{}",
		"__MACOSX/CodePush/._index": "junk", "CodePush/.DS_Store": "junk", ".DS_Store": "junk", "CodePush/.codepushrelease": "jwt",
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zw.Create("CodePush/") // a directory entry, left out
	var want []string
	for name, body := range files {
		fw, _ := zw.Create(name)
		fw.Write([]byte(body))
		if !ignoredInPackage(name) {
			sum := sha256.Sum256([]byte(body))
			want = append(want, name+":"+hex.EncodeToString(sum[:]))
		}
	}
	zw.Close()
	if len(want) != 3 {
		t.Fatalf("kept %v", want)
	}
	sort.Strings(want)
	var manifest bytes.Buffer
	enc := json.NewEncoder(&manifest)
	enc.SetEscapeHTML(false)
	enc.Encode(want)
	sum := sha256.Sum256(bytes.TrimSuffix(manifest.Bytes(), []byte("\n")))
	got, err := PackageHash(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil || got != hex.EncodeToString(sum[:]) {
		t.Errorf("hash %s, %v; want %x", got, err, sum)
	}
	if _, err := PackageHash(bytes.NewReader([]byte("not a zip")), 9); err != errNotZip {
		t.Errorf("plain file: %v", err)
	}
}

func TestCodePushRolloutHash(t *testing.T) {
	// Java's String.hashCode of "c-v1", written out: s[0]*31^(n-1) + … + s[n-1].
	var h int32
	for _, c := range "c-v1" {
		h = 31*h + c
	}
	want := int64(h)
	if want < 0 {
		want = -want
	}
	for p := int32(1); p <= 100; p++ {
		if InCodePushRollout("c", "v1", p) != (want%100 < int64(p)) {
			t.Fatalf("percent %d", p)
		}
	}
	in := 0
	for i := range 1000 {
		if InCodePushRollout("client-"+strconv.Itoa(i), "v3", 30) {
			in++
		}
	}
	if in < 240 || in > 360 {
		t.Errorf("30%% rollout took %d of 1000", in)
	}
}

func TestBinaryRangeAbove(t *testing.T) {
	tests := []struct {
		rng, version     string
		satisfied, above bool
	}{
		{"^1.0.0", "0.9.0", false, true},
		{"^1.0.0", "2.0.0", false, false},
		{"^1.0.0", "1.4.0", true, false},
		{">1.2.3", "1.2.3", false, true},
		{"1.2.x", "1.1.9", false, true},
		{"~1.2", "1.3.0", false, false},
		{">=1.0.0 <2.0.0", "0.1.0", false, true},
		{"1.0.0 || 3.x", "2.0.0", false, true},
		{"*", "5.0.0", true, false},
	}
	for _, tt := range tests {
		r, err := parseBinaryRange(tt.rng)
		if err != nil {
			t.Fatalf("%s: %v", tt.rng, err)
		}
		v, _ := parseAppVersion(tt.version)
		if r.satisfiedBy(v) != tt.satisfied || (!tt.satisfied && r.above(v) != tt.above) {
			t.Errorf("%s with %s: satisfied %v above %v", tt.rng, tt.version, r.satisfiedBy(v), r.above(v))
		}
	}
}
