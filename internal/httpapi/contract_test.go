package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/httpapi"
	"github.com/xuqmgroup/xuqm/internal/tenant"
)

// The gate can answer any operation with the shared 404 (an instance started with XUQM_SERVICES
// does not serve the other route groups) and any operation that takes a body with the shared 413
// (the body limit, or an upload's), so the contract must list them on every such operation.
func TestEveryOperationListsTheGateAnswers(t *testing.T) {
	spec, err := httpapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			checked++
			want := map[string]string{"404": "#/components/responses/NotFound"}
			if op.RequestBody != nil {
				want["413"] = "#/components/responses/PayloadTooLarge"
			}
			for code, ref := range want {
				got := op.Responses.Value(code)
				switch {
				case got == nil:
					t.Errorf("%s %s (%s) lists no %s; add `'%s': {$ref: '../openapi.yaml%s'}`", method, path, op.OperationID, code, code, ref)
				case got.Ref != ref && method != http.MethodHead: // a HEAD answer has no body to share
					t.Errorf("%s %s (%s): %s is %q, want the shared %s", method, path, op.OperationID, code, got.Ref, ref)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("the contract has no operations")
	}
}

// A tag's x-service is the app service whose switch and key the gate checks on its operations:
// it must be one of an app's services.
func TestEveryTagsServiceIsAnAppService(t *testing.T) {
	spec, err := httpapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	services := 0
	for _, tag := range spec.Tags {
		service, given := tag.Extensions["x-service"]
		if !given {
			continue
		}
		services++
		if s, _ := service.(string); !slices.Contains(tenant.ServiceTypes, s) {
			t.Errorf("tag %q: x-service %v is not one of %v", tag.Name, service, tenant.ServiceTypes)
		}
	}
	if services == 0 {
		t.Error("no tag names an app service")
	}
}

// The mark x-unbuilt lets a branch describe an operation before building it (the gate answers
// it 501); main ships none, so that every route of the contract is served.
func TestNoOperationIsUnbuilt(t *testing.T) {
	spec, err := httpapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			checked++
			if mark, marked := op.Extensions["x-unbuilt"]; marked {
				t.Errorf("%s %s (%s) is marked x-unbuilt (%v): build it before it lands", method, path, op.OperationID, mark)
			}
		}
	}
	if checked == 0 {
		t.Fatal("the contract has no operations")
	}
}
