package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("s3cretPass")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the default parameters", h)
	}
	if !Verify(h, "s3cretPass") {
		t.Error("the right password does not verify")
	}
	if Verify(h, "s3cretPasS") {
		t.Error("a wrong password verifies")
	}
	h2, _ := Hash("s3cretPass")
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyOtherParameters(t *testing.T) {
	// A hash made with other parameters (here: smaller) still verifies: they are read from it.
	const h = "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$" // key appended below
	key := derive("pw123456", []byte("somesaltsomesalt"), 1, 64, 1, 32)
	if !Verify(h+b64.EncodeToString(key), "pw123456") {
		t.Error("a hash with its own parameters does not verify")
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, h := range []string{"", "plain", "$2a$10$abcdefghijklmnopqrstuv", "$argon2id$v=19$m=1048577,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5"} {
		if Verify(h, "anything1") {
			t.Errorf("Verify(%q) = true", h)
		}
	}
	if Verify(Dummy, "") {
		t.Error("the dummy hash verifies the empty password")
	}
}
