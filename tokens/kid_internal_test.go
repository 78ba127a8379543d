package tokens

import "testing"

// TestKeyIDNeverStartsWithDash draws enough keys that, without the redraw,
// about 99% of runs would see a kid starting with '-'.
func TestKeyIDNeverStartsWithDash(t *testing.T) {
	for i := 0; i < 300; i++ {
		_, kid, err := generateKey()
		if err != nil {
			t.Fatalf("generate key: %v", err)
		}
		if kid[0] == '-' {
			t.Fatalf("got kid %q, want one that does not start with '-'", kid)
		}
	}
}
