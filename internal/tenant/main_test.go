package tenant

import (
	"testing"

	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// One TestMain for the package's tests and its component tests (package tenant_test).
func TestMain(m *testing.M) { pgtest.Main(m) }
