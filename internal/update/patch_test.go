package update

import (
	"archive/zip"
	"bytes"
	stdbzip2 "compress/bzip2"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ZipOf is testZip for the external tests of the package.
var ZipOf = testZip

// testZip is a zip of the files (name, content, name, content…), in the order given.
func testZip(t testing.TB, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		fw, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(files[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipReader(t testing.TB, b []byte) *zip.Reader {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// unzipTo writes a zip's files under dir.
func unzipTo(t testing.TB, b []byte, dir string) {
	t.Helper()
	for _, f := range zipReader(t, b).File {
		if isZipDir(f) {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// ApplyCodePushPatch does what react-native-code-push does with a downloaded diff package
// (CodePushUpdateManager.downloadPackage): unzip it, copy the current package into the new
// folder, delete the files hotcodepush.json lists, remove the manifest, copy the unzipped
// files over; then it returns the CodePush package hash of the new folder, which the client
// compares with the answer's package_hash (verifyFolderHash).
func ApplyCodePushPatch(t testing.TB, base, patch []byte) string {
	t.Helper()
	root := t.TempDir()
	current, unzipped, next := filepath.Join(root, "current"), filepath.Join(root, "unzipped"), filepath.Join(root, "new")
	unzipTo(t, base, current)
	unzipTo(t, patch, unzipped)
	manifestPath := filepath.Join(unzipped, diffManifestName)
	raw, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatalf("the patch has no %s: %v", diffManifestName, err)
	}
	var m struct {
		DeletedFiles []string `json:"deletedFiles"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", diffManifestName, err)
	}
	if err := os.CopyFS(next, os.DirFS(current)); err != nil {
		t.Fatal(err)
	}
	for _, name := range m.DeletedFiles {
		os.Remove(filepath.Join(next, filepath.FromSlash(name)))
	}
	os.Remove(manifestPath)
	copyOver(t, unzipped, next)
	return folderPackageHash(t, next)
}

func copyOver(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// folderPackageHash zips a folder's files and takes PackageHash of the zip.
func folderPackageHash(t testing.TB, dir string) string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		files = append(files, filepath.ToSlash(rel), string(data))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	z := testZip(t, files...)
	h, err := PackageHash(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestCodePushPatchAppliesAsTheClientDoes(t *testing.T) {
	base := testZip(t,
		"CodePush/index.android.bundle", "var a = 1;",
		"CodePush/assets/same.png", "same bytes",
		"CodePush/assets/gone.png", "deleted in the target",
		"CodePush/assets/old/nested.json", "{}",
		"CodePush/.codepushrelease", "old signature",
	)
	target := testZip(t,
		"CodePush/index.android.bundle", "var a = 2;",
		"CodePush/assets/same.png", "same bytes",
		"CodePush/assets/new/added.json", `{"x":1}`,
		"CodePush/.codepushrelease", "new signature",
	)
	var patch bytes.Buffer
	changed, deleted, err := codePushPatch(zipReader(t, base), zipReader(t, target), &patch)
	if err != nil {
		t.Fatal(err)
	}
	if changed != 3 || deleted != 2 {
		t.Errorf("changed %d, deleted %d; want 3 and 2", changed, deleted)
	}
	var names []string
	for _, f := range zipReader(t, patch.Bytes()).File {
		names = append(names, f.Name)
	}
	want := []string{"CodePush/index.android.bundle", "CodePush/assets/new/added.json", "CodePush/.codepushrelease", diffManifestName}
	if !slices.Equal(names, want) {
		t.Errorf("patch files %v, want %v", names, want)
	}
	targetHash, err := PackageHash(bytes.NewReader(target), int64(len(target)))
	if err != nil {
		t.Fatal(err)
	}
	if got := ApplyCodePushPatch(t, base, patch.Bytes()); got != targetHash {
		t.Errorf("applied patch hashes to %s, the target is %s", got, targetHash)
	}
	// The same patch over another base does not give the target: the check is not vacuous.
	other := testZip(t, "CodePush/index.android.bundle", "var a = 1;", "CodePush/extra.txt", "x")
	if got := ApplyCodePushPatch(t, other, patch.Bytes()); got == targetHash {
		t.Error("the patch gives the target from a base it was not made for")
	}
}

// Bspatch applies a BSDIFF40 patch as bspatch.c does, written from the format (exported for
// the component tests).
func Bspatch(t testing.TB, old, patch []byte) []byte {
	t.Helper()
	if len(patch) < 32 || string(patch[:8]) != "BSDIFF40" {
		t.Fatal("not a BSDIFF40 patch")
	}
	offt := func(b []byte) int64 {
		u := uint64(0)
		for i := 7; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		if u>>63 == 1 {
			return -int64(u &^ (1 << 63))
		}
		return int64(u)
	}
	ctrlLen, diffLen, newSize := offt(patch[8:]), offt(patch[16:]), offt(patch[24:])
	ctrl := bunzip(t, patch[32:32+ctrlLen])
	diff := bunzip(t, patch[32+ctrlLen:32+ctrlLen+diffLen])
	extra := bunzip(t, patch[32+ctrlLen+diffLen:])
	out := make([]byte, 0, newSize)
	var oldPos, dp, ep int64
	for c := 0; int64(len(out)) < newSize; c += 24 {
		x, y, z := offt(ctrl[c:]), offt(ctrl[c+8:]), offt(ctrl[c+16:])
		for i := range x {
			b := diff[dp+i]
			if oldPos+i >= 0 && oldPos+i < int64(len(old)) {
				b += old[oldPos+i]
			}
			out = append(out, b)
		}
		dp += x
		oldPos += x
		out = append(out, extra[ep:ep+y]...)
		ep += y
		oldPos += z
	}
	return out
}

func bunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(stdbzip2.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatalf("bzip2: %v", err)
	}
	return out
}

// BspatchTool applies the patch with the bspatch command (Debian's bsdiff package, the
// bspatch that expo-updates builds in); CI installs it.
func BspatchTool(t testing.TB, old, patch []byte) ([]byte, bool) {
	t.Helper()
	tool, err := exec.LookPath("bspatch")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("bspatch is not installed; .ci/run installs Debian's bsdiff package")
		}
		return nil, false
	}
	dir := t.TempDir()
	oldPath, newPath, patchPath := filepath.Join(dir, "old"), filepath.Join(dir, "new"), filepath.Join(dir, "patch")
	for path, b := range map[string][]byte{oldPath: old, patchPath: patch} {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(tool, oldPath, newPath, patchPath).CombinedOutput(); err != nil {
		t.Fatalf("bspatch: %v: %s", err, out)
	}
	b, err := os.ReadFile(newPath)
	if err != nil {
		t.Fatal(err)
	}
	return b, true
}

func TestBsdiffRebuildsTheTarget(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	// A JavaScript-like bundle, then the same with edits: bytes changed in place, a block
	// inserted, a block removed, a block moved.
	var js strings.Builder
	for i := range 4000 {
		js.WriteString("function f" + strings.Repeat("x", i%7) + "(a){return a+" + string(rune('0'+i%10)) + ";}\n")
	}
	old := []byte(js.String())
	edited := slices.Clone(old)
	for i := 1000; i < len(edited); i += 9000 {
		edited[i] ^= 0x5a
	}
	edited = slices.Concat(edited[:20000], random(3000), edited[20000:50000], edited[60000:], old[5000:9000])
	cases := map[string][2][]byte{
		"edited":        {old, edited},
		"unrelated":     {random(5000), random(7000)},
		"empty base":    {nil, random(100)},
		"empty target":  {random(100), nil},
		"short":         {[]byte("abc"), []byte("abd")},
		"same":          {old, old},
		"base repeated": {bytes.Repeat([]byte("0123456789abcdef"), 500), bytes.Repeat([]byte("0123456789abcdef"), 501)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var patch bytes.Buffer
			if err := bsdiff(c[0], c[1], &patch); err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256(c[1])
			got := sha256.Sum256(Bspatch(t, c[0], patch.Bytes()))
			if got != want {
				t.Fatalf("patched bytes hash to %s, the target is %s", hex.EncodeToString(got[:]), hex.EncodeToString(want[:]))
			}
			if b, ok := BspatchTool(t, c[0], patch.Bytes()); ok && sha256.Sum256(b) != want {
				t.Fatal("bspatch rebuilt other bytes than the target")
			}
			if name == "edited" && patch.Len() > len(c[1])/10 {
				t.Errorf("patch of %d bytes for a %d-byte target with small edits", patch.Len(), len(c[1]))
			}
		})
	}
}
