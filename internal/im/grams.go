package im

import (
	"slices"
	"strings"
	"unicode"
)

// maxGramRunes bounds the text a message's grams are made of, so that one long message
// cannot bloat the index.
const maxGramRunes = 4096

// textGrams are the index entries of a message's search text: every pair of adjacent
// characters (lower-cased, no spaces), and every single character outside ASCII, so that a
// one-character Chinese keyword is served too. A keyword is found among the messages whose
// grams hold all of keywordGrams(keyword); a substring test then confirms.
func textGrams(text string) []string {
	if text == "" {
		return []string{}
	}
	runes := []rune(strings.ToLower(text))
	if len(runes) > maxGramRunes {
		runes = runes[:maxGramRunes]
	}
	seen := make(map[string]struct{}, 2*len(runes))
	for i, r := range runes {
		if unicode.IsSpace(r) {
			continue
		}
		if r > unicode.MaxASCII {
			seen[string(r)] = struct{}{}
		}
		if i+1 < len(runes) && !unicode.IsSpace(runes[i+1]) {
			seen[string(runes[i:i+2])] = struct{}{}
		}
	}
	grams := make([]string, 0, len(seen))
	for g := range seen {
		grams = append(grams, g)
	}
	slices.Sort(grams)
	return grams
}

// keywordGrams are the grams a message must have to contain keyword (lower-cased): its
// bigrams, or its one character when that is all it has and is outside ASCII. Empty means
// the index cannot narrow the search (a single ASCII character).
func keywordGrams(keyword string) []string {
	runes := []rune(keyword)
	var grams []string
	for i := 0; i+1 < len(runes); i++ {
		if !unicode.IsSpace(runes[i]) && !unicode.IsSpace(runes[i+1]) {
			grams = append(grams, string(runes[i:i+2]))
		}
	}
	if len(grams) == 0 {
		for _, r := range runes {
			if r > unicode.MaxASCII && !unicode.IsSpace(r) {
				grams = append(grams, string(r))
			}
		}
	}
	slices.Sort(grams)
	return slices.Compact(grams)
}
