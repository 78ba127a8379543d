package e2e_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// keysCLI runs a consentry keys command on the cluster's database with kek
// as CONSENTRY_KEY and returns its output and error.
func (c *cluster) keysCLI(kek string, args ...string) (string, error) {
	c.t.Helper()
	cmd := exec.Command(c.bin, append(append([]string{"keys"}, args...), "--db", c.dsn)...)
	cmd.Env = append(childEnv(), "CONSENTRY_KEY="+kek)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// replicaKEK returns the CONSENTRY_KEY that the replicas run with.
func (c *cluster) replicaKEK() string {
	c.t.Helper()
	for _, kv := range c.replicas[0].cmd.Env {
		if value, ok := strings.CutPrefix(kv, "CONSENTRY_KEY="); ok {
			return value
		}
	}
	c.t.Fatal("the replicas run without CONSENTRY_KEY")
	return ""
}

// adminClient registers a client for the client-credentials grant through
// the CLI.
func (c *cluster) adminClient() replicaClient {
	c.t.Helper()
	out := c.cli("", "client", "create", "--name", "Replica Admin", "--json",
		"--grant-type", "client_credentials", "--scope", "client:admin")
	var client replicaClient
	if err := json.Unmarshal(out, &client); err != nil {
		c.t.Fatalf("decode client create output %q: %v", out, err)
	}
	return client
}

// adminToken returns a client-credentials token issued by r.
func (c *cluster) adminToken(r *replica, client replicaClient) string {
	c.t.Helper()
	resp := c.post(r, "/api/v1/token", url.Values{"grant_type": {"client_credentials"}}, client)
	wantStatus(c.t, resp, http.StatusOK)
	return str(resp.body["access_token"])
}

// providersStatus returns the status of GET /api/v1/providers at r.
func (c *cluster) providersStatus(r *replica, token string) int {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.base+"/api/v1/providers", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", req.URL, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestReplicasKeyRevocation revokes the signing key with the command line
// while two replicas run on one PostgreSQL database. A mistyped
// key-encryption key must change nothing; the right one must make both
// replicas reject the key's tokens at once, and both must sign their next
// tokens with the replacement.
func TestReplicasKeyRevocation(t *testing.T) {
	c := startCluster(t, 2)
	client := c.adminClient()
	tokens := []string{c.adminToken(c.replicas[0], client), c.adminToken(c.replicas[1], client)}
	kid := tokenKeyID(t, tokens[0])

	wrong := make([]byte, 32)
	rand.Read(wrong)
	if out, err := c.keysCLI(hex.EncodeToString(wrong), "revoke", kid); err == nil {
		t.Errorf("keys revoke with another key-encryption key: got success %q, want an error", out)
	}
	for i, r := range c.replicas {
		for _, token := range tokens {
			if got := c.providersStatus(r, token); got != http.StatusOK {
				t.Errorf("replica %d after the failed revoke: got status %d, want 200", i, got)
			}
		}
	}

	if out, err := c.keysCLI(c.replicaKEK(), "revoke", kid); err != nil {
		t.Fatalf("keys revoke: %v\n%s", err, out)
	}
	for i, r := range c.replicas {
		for _, token := range tokens {
			if got := c.providersStatus(r, token); got != http.StatusUnauthorized {
				t.Errorf("replica %d right after the revoke: got status %d, want 401", i, got)
			}
			intro := c.post(r, "/api/v1/introspect", url.Values{"token": {token}}, client)
			if strings.TrimSpace(intro.raw) != inactiveBody {
				t.Errorf("replica %d right after the revoke: got introspection %s, want %s",
					i, intro.raw, inactiveBody)
			}
		}
	}

	// A replica whose key cache still holds the revoked key finds out when
	// the store refuses the token's record, and signs again with the
	// replacement, so every new token works on every replica.
	for i, r := range c.replicas {
		deadline := time.Now().Add(15 * time.Second)
		token := c.adminToken(r, client)
		for tokenKeyID(t, token) == kid && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			token = c.adminToken(r, client)
		}
		for j, verifier := range c.replicas {
			if got := c.providersStatus(verifier, token); got != http.StatusOK {
				t.Errorf("token of replica %d at replica %d after the cache lifetime: "+
					"got status %d, want 200", i, j, got)
			}
		}
	}
}
