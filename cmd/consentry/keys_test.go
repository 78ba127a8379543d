package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestKeysRotateListRevoke(t *testing.T) {
	c := newCLI(t)
	c.env["CONSENTRY_KEY"] = strings.Repeat("5a", 32)

	out := c.mustRun("", "keys", "rotate").stdout
	if !strings.Contains(out, "created signing key") {
		t.Fatalf("rotate: got %q, want a created key", out)
	}
	var keys []keyJSON
	if err := json.Unmarshal([]byte(c.mustRun("", "keys", "list", "--json").stdout), &keys); err != nil {
		t.Fatalf("decode keys: %v", err)
	}
	if len(keys) != 2 {
		t.Fatalf("got %d keys, want 2 (the first key and the rotated one)", len(keys))
	}
	if keys[0].Status != "published" || keys[1].Status != "pending" {
		t.Errorf("got statuses %q and %q, want published and pending", keys[0].Status, keys[1].Status)
	}

	out = c.mustRun("", "keys", "revoke", keys[0].ID).stdout
	if !strings.Contains(out, "revoked signing key "+keys[0].ID) {
		t.Errorf("revoke: got %q, want the revoked kid", out)
	}
	if !strings.Contains(out, "created replacement signing key") {
		t.Errorf("revoke of the only signing key: got %q, want a replacement that signs at once", out)
	}
	table := c.mustRun("", "keys", "list").stdout
	if !strings.Contains(table, "revoked") {
		t.Errorf("list: got %q, want a revoked key", table)
	}
	if strings.Contains(table, "PRIVATE") || strings.Contains(table, "\"d\"") {
		t.Errorf("list shows private key material: %q", table)
	}
}

func TestKeysNeedKeyEncryptionKey(t *testing.T) {
	c := newCLI(t)
	c.mustFail("missing key-encryption key", "keys", "rotate")
	c.env["CONSENTRY_KEY"] = strings.Repeat("5a", 32)
	c.mustRun("", "keys", "rotate")
	c.env["CONSENTRY_KEY"] = strings.Repeat("6b", 32)
	c.mustFail("CONSENTRY_KEY", "keys", "rotate")
	c.mustFail("not found", "keys", "revoke", "no-such-kid")
}
