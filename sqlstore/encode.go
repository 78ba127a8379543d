package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"
)

// Times are stored as BIGINT unix milliseconds, durations as BIGINT
// milliseconds, lists as JSON text, and optional values as NULL.

func millis(t time.Time) int64 {
	return t.UnixMilli()
}

// nullMillis returns the argument for a nullable time column.
func nullMillis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// nullBytes stores an empty digest or document as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullText stores an empty reference as NULL, so that a foreign key does not
// apply to it.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullDuration(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return d.Milliseconds()
}

// encodeList returns the JSON text of a list; a nil list is stored as [].
func encodeList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, err := json.Marshal(list)
	if err != nil {
		// Marshalling a []string cannot fail.
		panic(err)
	}
	return string(b)
}

// timeColumn scans a BIGINT unix-millisecond column into a UTC time.
type timeColumn struct{ dst *time.Time }

func (c timeColumn) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("scan time: unexpected column type %T", src)
	}
	*c.dst = time.UnixMilli(v).UTC()
	return nil
}

// nullTimeColumn scans a nullable BIGINT unix-millisecond column.
type nullTimeColumn struct{ dst **time.Time }

func (c nullTimeColumn) Scan(src any) error {
	if src == nil {
		*c.dst = nil
		return nil
	}
	var t time.Time
	if err := (timeColumn{&t}).Scan(src); err != nil {
		return err
	}
	*c.dst = &t
	return nil
}

// durationColumn scans a nullable BIGINT millisecond column.
type durationColumn struct{ dst **time.Duration }

func (c durationColumn) Scan(src any) error {
	if src == nil {
		*c.dst = nil
		return nil
	}
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("scan duration: unexpected column type %T", src)
	}
	d := time.Duration(v) * time.Millisecond
	*c.dst = &d
	return nil
}

// listColumn scans a JSON text column into a list; [] becomes nil.
type listColumn struct{ dst *[]string }

func (c listColumn) Scan(src any) error {
	var text []byte
	switch v := src.(type) {
	case string:
		text = []byte(v)
	case []byte:
		text = v
	default:
		return fmt.Errorf("scan list: unexpected column type %T", src)
	}
	var list []string
	if err := json.Unmarshal(text, &list); err != nil {
		return fmt.Errorf("scan list: %w", err)
	}
	if len(list) == 0 {
		list = nil
	}
	*c.dst = list
	return nil
}

// textColumn scans a nullable TEXT column; NULL becomes "".
type textColumn struct{ dst *string }

func (c textColumn) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.dst = ""
	case string:
		*c.dst = v
	case []byte:
		*c.dst = string(v)
	default:
		return fmt.Errorf("scan text: unexpected column type %T", src)
	}
	return nil
}
