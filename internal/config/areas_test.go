package config

import (
	"slices"
	"testing"

	"github.com/xuqmgroup/xuqm/gen/api"
)

// Areas is a copy of what the contract says: the route groups are the x-area values of its
// tags, from which the gate routes every operation. config keeps its own list (in a fixed order,
// for "all" and for the log) rather than load the generated API package into every importer of
// config; this test keeps the two the same.
func TestAreasAreTheContractsTagAreas(t *testing.T) {
	spec, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	var inContract []string
	for _, tag := range spec.Tags {
		area, _ := tag.Extensions["x-area"].(string)
		if area == "" {
			t.Errorf("tag %q has no x-area", tag.Name)
			continue
		}
		if !slices.Contains(inContract, area) {
			inContract = append(inContract, area)
		}
	}
	slices.Sort(inContract)
	mine := slices.Sorted(slices.Values(Areas))
	if !slices.Equal(mine, inContract) {
		t.Errorf("config.Areas %v, the contract's tags' x-area values %v", mine, inContract)
	}
}
