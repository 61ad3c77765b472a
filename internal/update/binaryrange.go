package update

import (
	"errors"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// binaryRange is a release's target binary range: a semantic-version range as CodePush takes
// it (npm's syntax, which Masterminds/semver reads: 1.2.3, ^1.2, ~1.2.3, 1.2.x, >=1 <2, a || b, *).
type binaryRange struct {
	text string
	c    *semver.Constraints
}

func parseBinaryRange(s string) (binaryRange, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 128 {
		return binaryRange{}, errors.New("must be a semantic-version range of at most 128 characters, such as ^1.2.0")
	}
	c, err := semver.NewConstraint(s)
	if err != nil {
		return binaryRange{}, errors.New("must be a semantic-version range such as 1.2.3, ^1.2.0, ~1.2, 1.2.x or >=1.0.0 <2.0.0")
	}
	return binaryRange{text: s, c: c}, nil
}

// parseAppVersion reads a client's binary version; like CodePush it takes 1.0 as 1.0.0.
func parseAppVersion(s string) (*semver.Version, error) {
	v, err := semver.NewVersion(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("must be a semantic version such as 1.0.0")
	}
	return v, nil
}

func (r binaryRange) satisfiedBy(v *semver.Version) bool { return r.c != nil && r.c.Check(v) }

var rangeLiteral = regexp.MustCompile(`[0-9]+(\.([0-9]+|[xX*]))?(\.([0-9]+|[xX*]))?`)

// above tells whether the range lies above v (CodePush's "binary too old"): some version
// greater than v satisfies it. The candidates are the versions the range names and the next
// patch, minor and major of each, which covers the ranges people write (^, ~, x, >, >=, -).
func (r binaryRange) above(v *semver.Version) bool {
	wild := strings.NewReplacer("x", "0", "X", "0", "*", "0")
	for _, lit := range rangeLiteral.FindAllString(r.text, -1) {
		base, err := semver.NewVersion(wild.Replace(lit))
		if err != nil {
			continue
		}
		for _, c := range []semver.Version{*base, base.IncPatch(), base.IncMinor(), base.IncMajor()} {
			if c.GreaterThan(v) && r.c.Check(&c) {
				return true
			}
		}
	}
	return false
}

// InCodePushRollout is CodePush's rollout selector: abs(hashCode(clientID + "-" + label)) % 100
// below the percentage, with Java's String.hashCode over UTF-16 units in 32-bit arithmetic, so
// that the same clients are chosen as on CodePush's own server.
func InCodePushRollout(clientID, label string, percent int32) bool {
	if percent >= 100 {
		return true
	}
	var h int32
	for _, u := range utf16Units(clientID + "-" + label) {
		h = h*31 + int32(u)
	}
	abs := int64(h)
	if abs < 0 {
		abs = -abs
	}
	return abs%100 < int64(percent)
}

func utf16Units(s string) []uint16 {
	out := make([]uint16, 0, len(s))
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			out = append(out, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
			continue
		}
		out = append(out, uint16(r))
	}
	return out
}
