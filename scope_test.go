package consentry_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/consentry/consentry"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"spaces only", "   ", nil},
		{"one", "ACCOUNT_BASIC", []string{"ACCOUNT_BASIC"}},
		{"extra spaces", "  ACCOUNT_BASIC   TRANSACTIONS ", []string{"ACCOUNT_BASIC", "TRANSACTIONS"}},
		{"repeated", "A B A", []string{"A", "B"}},
		{"tab is not a separator", "A\tB", []string{"A\tB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := consentry.ParseScope(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("ParseScope(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseScope(f *testing.F) {
	f.Add("ACCOUNT_BASIC TRANSACTIONS")
	f.Add("  a  b a ")
	f.Fuzz(func(t *testing.T, s string) {
		scopes := consentry.ParseScope(s)
		seen := map[string]bool{}
		for _, scope := range scopes {
			if scope == "" || strings.Contains(scope, " ") {
				t.Fatalf("ParseScope(%q) returned token %q", s, scope)
			}
			if seen[scope] {
				t.Fatalf("ParseScope(%q) returned %q twice", s, scope)
			}
			seen[scope] = true
		}
		if again := consentry.ParseScope(consentry.FormatScope(scopes)); !slices.Equal(again, scopes) {
			t.Fatalf("round trip of %q: got %q, want %q", s, again, scopes)
		}
	})
}
