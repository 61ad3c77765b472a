package im

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// gramSet is textGrams as its comment states it, written the plain way: a set of the
// lower-cased text's adjacent pairs and of its single characters outside ASCII, no spaces.
func gramSet(text string) []string {
	runes := []rune(strings.ToLower(text))
	if len(runes) > maxGramRunes {
		runes = runes[:maxGramRunes]
	}
	set := map[string]bool{}
	for i, r := range runes {
		if unicode.IsSpace(r) {
			continue
		}
		if r > unicode.MaxASCII {
			set[string(r)] = true
		}
		if i+1 < len(runes) && !unicode.IsSpace(runes[i+1]) {
			set[string(runes[i:i+2])] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func TestTextGrams(t *testing.T) {
	long := strings.Repeat("ab你", maxGramRunes) // past the bound, which cuts it inside a pair
	for _, text := range []string{
		"", "a", "你", "Hello World", "你好，世界 hello", "  spaced  out  ", "AbAbAB", "x\ty\nz",
		"émigré Ünïcode", "😀 emoji 😀😀", long, long[:len(long)-1] + "Z",
	} {
		got, want := textGrams(text), gramSet(text)
		if !slices.Equal(got, want) {
			t.Errorf("textGrams(%.40q) = %.200q, want %.200q", text, got, want)
		}
	}
	if got := textGrams("你好"); !slices.Equal(got, []string{"你", "你好", "好"}) {
		t.Errorf("textGrams(你好) = %q", got)
	}
}

func BenchmarkTextGrams(b *testing.B) {
	text := "load test message 1234 from lt1001 to lt17, 你好 hello"
	b.ReportAllocs()
	for b.Loop() {
		textGrams(text)
	}
}
