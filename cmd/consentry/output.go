package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/consentry/consentry"
)

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newTable returns a writer that aligns tab-separated columns. The caller
// flushes it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// formatTime formats t in UTC as RFC 3339, or "-" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// formatList joins values with spaces, or returns "-" for none.
func formatList(values []string) string {
	if len(values) == 0 {
		return "-"
	}
	return strings.Join(values, " ")
}

// nonNil returns values, or an empty slice for nil so that JSON output shows
// [] in place of null.
func nonNil(values []string) []string {
	if values == nil {
		return []string{}
	}
	return values
}

// unique returns values without repeats, keeping the first of each.
func unique(values []string) []string {
	var out []string
	for _, v := range values {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// parseScopeFlags returns the scopes of a repeatable --scope flag whose values
// may each hold several space-separated scopes.
func parseScopeFlags(values []string) []string {
	return consentry.ParseScope(strings.Join(values, " "))
}

// registrationError is an invalid registration. Its message lists each
// problem on its own line when there are several.
type registrationError struct {
	entity string
	err    error
}

func (e *registrationError) Error() string {
	joined, ok := e.err.(interface{ Unwrap() []error })
	if !ok || len(joined.Unwrap()) < 2 {
		return fmt.Sprintf("invalid %s: %v", e.entity, e.err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s:", e.entity)
	for _, err := range joined.Unwrap() {
		fmt.Fprintf(&b, "\n  - %v", err)
	}
	return b.String()
}

func (e *registrationError) Unwrap() error { return e.err }
