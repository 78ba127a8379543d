package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/consentry/consentry"
)

var (
	errUnique      = errors.New("unique violation")
	errForeignKey  = errors.New("foreign key violation")
	errUnreachable = errors.New("connection refused")
	errOther       = errors.New("syntax error near x")
)

func TestWrap(t *testing.T) {
	s := New(nil, Dialect{
		IsUniqueViolation:     func(err error) bool { return errors.Is(err, errUnique) },
		IsForeignKeyViolation: func(err error) bool { return errors.Is(err, errForeignKey) },
		IsUnavailable:         func(err error) bool { return errors.Is(err, errUnreachable) },
	})
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"no rows", sql.ErrNoRows, consentry.ErrNotFound},
		{"wrapped no rows", fmt.Errorf("scan: %w", sql.ErrNoRows), consentry.ErrNotFound},
		{"unique violation", errUnique, consentry.ErrConflict},
		{"foreign key violation", errForeignKey, consentry.ErrNotFound},
		{"unreachable", errUnreachable, consentry.ErrUnavailable},
		{"bad connection", driver.ErrBadConn, consentry.ErrUnavailable},
		{"store error kept", consentry.ErrConflict, consentry.ErrConflict},
		{"other error kept", errOther, errOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := s.wrap("get thing", tc.err)
			if !errors.Is(got, tc.want) {
				t.Errorf("got %v, want it to wrap %v", got, tc.want)
			}
			if !strings.HasPrefix(got.Error(), "sqlstore: get thing: ") {
				t.Errorf("got %q, want the prefix %q", got, "sqlstore: get thing: ")
			}
		})
	}
	if got := s.wrap("get thing", nil); got != nil {
		t.Errorf("got %v for a nil error, want nil", got)
	}
}

func TestWrapWithoutDialectFunctions(t *testing.T) {
	s := New(nil, Dialect{})
	if got := s.wrap("op", errUnique); errors.Is(got, consentry.ErrConflict) {
		t.Errorf("got %v, want an error that is not %v", got, consentry.ErrConflict)
	}
}

func TestListColumn(t *testing.T) {
	tests := []struct {
		name string
		src  any
		want []string
	}{
		{"text", `["a","b"]`, []string{"a", "b"}},
		{"bytes", []byte(`["a"]`), []string{"a"}},
		{"empty list", "[]", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			if err := (listColumn{&got}).Scan(tc.src); err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || (got == nil) != (tc.want == nil) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
	var got []string
	if err := (listColumn{&got}).Scan(int64(3)); err == nil {
		t.Error("got nil error for an integer column, want an error")
	}
	if got, want := encodeList(nil), "[]"; got != want {
		t.Errorf("encodeList(nil): got %q, want %q", got, want)
	}
}
