package queue

import (
	"os"
	"testing"

	"blog/internal/dbtest"
)

// TestMain drops the migrated PostgreSQL database the tests copy once they have all run.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
