package main

import (
	"context"
	"strings"
	"testing"

	"github.com/consentry/consentry/tokens"
)

// TestKeysRevokeWrongKeyEncryptionKey revokes a key with a key-encryption
// key that differs from the servers' one. The command must fail before it
// changes anything, because a replacement sealed under that key would stop
// every replica from signing and verifying.
func TestKeysRevokeWrongKeyEncryptionKey(t *testing.T) {
	tests := []struct {
		name   string
		rotate bool
	}{
		{name: "only key", rotate: false},
		{name: "key with pending successor", rotate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			right := strings.Repeat("5a", 32)
			c.env["CONSENTRY_KEY"] = right
			store := c.openTestStore()
			kek, err := tokens.ParseKeyEncryptionKey(right)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := tokens.NewKeyManager(store, kek, tokens.KeyOptions{}).Init(ctx); err != nil {
				t.Fatalf("init: %v", err)
			}
			if tt.rotate {
				c.mustRun("", "keys", "rotate")
			}
			before, err := store.ListSigningKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}

			c.env["CONSENTRY_KEY"] = strings.Repeat("6b", 32)
			c.mustFail("CONSENTRY_KEY", "keys", "revoke", before[0].ID)

			after, err := store.ListSigningKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before) {
				t.Errorf("got %d signing keys after the failed revoke, want %d", len(after), len(before))
			}
			if after[0].RevokedAt != nil {
				t.Errorf("key %s was revoked by a command that failed", after[0].ID)
			}
			server := tokens.NewKeyManager(store, kek, tokens.KeyOptions{})
			if err := server.Init(ctx); err != nil {
				t.Errorf("server with the right key after the failed revoke: %v", err)
			}
		})
	}
}
