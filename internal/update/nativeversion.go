package update

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

var nativeVersionPattern = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,9}){0,3}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// nativeVersion is a native app's version name (1.2, 1.2.3.4, 2.0.0-beta.1): up to four
// numbers, compared one by one with missing numbers as 0, then pre-releases as semantic
// versions compare them (a pre-release comes before its release).
type nativeVersion struct {
	nums [4]int
	pre  []string
}

func parseNativeVersion(s string) (nativeVersion, error) {
	if len(s) > 64 || !nativeVersionPattern.MatchString(s) {
		return nativeVersion{}, errors.New("must be a version such as 1.2.0 (one to four numbers, optionally -pre.release)")
	}
	var v nativeVersion
	core, pre, hasPre := strings.Cut(s, "-")
	for i, part := range strings.Split(core, ".") {
		v.nums[i], _ = strconv.Atoi(part) // at most 9 digits: fits
	}
	if hasPre {
		v.pre = strings.Split(pre, ".")
	}
	return v, nil
}

func (v nativeVersion) compare(o nativeVersion) int {
	for i := range v.nums {
		if v.nums[i] != o.nums[i] {
			return cmpInt(v.nums[i], o.nums[i])
		}
	}
	return comparePrerelease(v.pre, o.pre)
}

// comparePrerelease applies semantic versioning's rule 11 to pre-release identifiers.
func comparePrerelease(a, b []string) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1
	case len(b) == 0:
		return -1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		an, aErr := strconv.ParseUint(a[i], 10, 64)
		bn, bErr := strconv.ParseUint(b[i], 10, 64)
		switch {
		case aErr == nil && bErr == nil:
			if an != bn {
				if an < bn {
					return -1
				}
				return 1
			}
		case aErr == nil: // numeric identifiers come first
			return -1
		case bErr == nil:
			return 1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
