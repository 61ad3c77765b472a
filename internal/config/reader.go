package config

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// reader collects every bad variable so that one start-up attempt reports them all.
type reader struct {
	getenv func(string) string
	errs   []error
}

func (r *reader) fail(name, value, why string) {
	r.errs = append(r.errs, fmtErr(name, value, why))
}

// str returns the trimmed value, or def when the variable is unset or blank.
func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.str(name, def))
	if !slices.Contains(allowed, v) {
		r.fail(name, v, "want one of "+strings.Join(allowed, ", "))
		return def
	}
	return v
}

func (r *reader) onOff(name string, def bool) bool {
	v := strings.ToLower(r.str(name, ""))
	switch v {
	case "":
		return def
	case "on", "true", "1", "yes":
		return true
	case "off", "false", "0", "no":
		return false
	}
	r.fail(name, v, "want on or off")
	return def
}

// list splits a comma-separated value, dropping blanks; def is parsed the same way.
func (r *reader) list(name, def string) []string {
	var out []string
	for item := range strings.SplitSeq(r.str(name, def), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, v, "want a positive Go duration such as 90s, 2m or 24h")
		return def
	}
	return d
}

// sizeUnits are binary multiples, as a reader of "100MiB" expects; KB and MB are accepted as
// the same because that is what people usually mean in a byte limit.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30},
	{"b", 1},
}

// size reads a positive count: a plain integer, or bytes with a unit suffix (512KiB, 100MiB).
func (r *reader) size(name string, def int64) int64 {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	num, mult := strings.ToLower(v), int64(1)
	for _, u := range sizeUnits {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(num, "_", ""), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		r.fail(name, v, "want a positive integer, optionally with KiB, MiB or GiB")
		return def
	}
	return n * mult
}

func (r *reader) publicURL(name, def string) string {
	v := r.str(name, def)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		r.fail(name, v, "want an absolute http or https URL such as https://im.example.com")
		return def
	}
	return strings.TrimRight(v, "/")
}

// count reads a whole number of zero or more.
func (r *reader) count(name string, def int64) int64 {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 10, 64)
	if err != nil || n < 0 {
		r.fail(name, v, "want a whole number, 0 or more")
		return def
	}
	return n
}
