package sqlite_test

import (
	"context"
	"testing"

	"github.com/consentry/consentry/sqlite"
)

func TestScratch(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	s.DB().QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type='table'").Scan(&n)
	t.Log(n)
	var fk int
	s.DB().QueryRow("PRAGMA foreign_keys").Scan(&fk)
	t.Log("fk", fk)
}
