package tokens_test

import (
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/consentry/consentry/tokens"
)

func TestRandomValues(t *testing.T) {
	tests := []struct {
		name     string
		generate func() string
		chars    int
		bytes    int
	}{
		{"NewSecret", tokens.NewSecret, 43, 32},
		{"NewID", tokens.NewID, 22, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := make(map[string]bool)
			for range 100 {
				value := tt.generate()
				if len(value) != tt.chars {
					t.Fatalf("got %d characters, want %d", len(value), tt.chars)
				}
				raw, err := base64.RawURLEncoding.DecodeString(value)
				if err != nil {
					t.Fatalf("decode %q: %v", value, err)
				}
				if len(raw) != tt.bytes {
					t.Fatalf("got %d bytes, want %d", len(raw), tt.bytes)
				}
				if seen[value] {
					t.Fatalf("value %q repeated", value)
				}
				seen[value] = true
			}
		})
	}
}

func TestHashIsSHA256(t *testing.T) {
	got := hex.EncodeToString(tokens.Hash("abc"))
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestSecretMatches(t *testing.T) {
	hash := tokens.Hash("correct horse")
	tests := []struct {
		name   string
		hash   []byte
		secret string
		want   bool
	}{
		{"same secret", hash, "correct horse", true},
		{"other secret", hash, "correct horsf", false},
		{"empty secret", hash, "", false},
		{"nil hash", nil, "", false},
		{"empty hash", []byte{}, "correct horse", false},
		{"truncated hash", hash[:16], "correct horse", false},
		{"empty hash of empty secret", tokens.Hash(""), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tokens.SecretMatches(tt.hash, tt.secret); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPairwiseSubject(t *testing.T) {
	key := []byte("pairwise key")
	base := tokens.PairwiseSubject(key, "1000", "alice", "client-a")

	if again := tokens.PairwiseSubject(key, "1000", "alice", "client-a"); again != base {
		t.Errorf("got %q on the second call, want %q", again, base)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(base); err != nil || len(raw) != 32 {
		t.Errorf("got %q (%v), want base64url of 32 bytes", base, err)
	}

	others := []struct {
		name                         string
		key                          []byte
		providerID, userID, clientID string
	}{
		{"other client", key, "1000", "alice", "client-b"},
		{"other user", key, "1000", "bob", "client-a"},
		{"other provider", key, "2000", "alice", "client-a"},
		{"other key", []byte("another key"), "1000", "alice", "client-a"},
		{"boundary moved left", key, "100", "0alice", "client-a"},
		{"boundary moved right", key, "1000a", "lice", "client-a"},
	}
	for _, tt := range others {
		t.Run(tt.name, func(t *testing.T) {
			got := tokens.PairwiseSubject(tt.key, tt.providerID, tt.userID, tt.clientID)
			if got == base {
				t.Errorf("got the same subject %q, want a different one", got)
			}
		})
	}
}
