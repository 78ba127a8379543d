package sqlstore_test

import (
	"testing"

	"github.com/consentry/consentry/sqlstore"
)

func TestRebind(t *testing.T) {
	numbered := sqlstore.Dialect{NumberedPlaceholders: true}
	tests := []struct {
		name    string
		dialect sqlstore.Dialect
		query   string
		want    string
	}{
		{"question marks kept", sqlstore.Dialect{}, "SELECT a FROM t WHERE b = ? AND c = ?",
			"SELECT a FROM t WHERE b = ? AND c = ?"},
		{"numbered", numbered, "UPDATE t SET a = ? WHERE b = ? AND c = ?",
			"UPDATE t SET a = $1 WHERE b = $2 AND c = $3"},
		{"no placeholders", numbered, "SELECT 1", "SELECT 1"},
		{"question mark in a literal", numbered, "SELECT '?', a FROM t WHERE b = ?",
			"SELECT '?', a FROM t WHERE b = $1"},
		{"escaped quote in a literal", numbered, "SELECT 'it''s ?' WHERE a = ?",
			"SELECT 'it''s ?' WHERE a = $1"},
		{"two digits", numbered, "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.dialect.Rebind(tc.query); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
