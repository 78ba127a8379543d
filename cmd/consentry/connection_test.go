package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// seedConnection stores an approved authorization of user at provider for
// clientID, as the sign-in and consent pages would, and returns the
// connection id.
func (c *cli) seedConnection(clientID, providerID, user string) string {
	c.t.Helper()
	ctx := context.Background()
	store := c.openTestStore()
	now := time.Now().UTC().Truncate(time.Millisecond)
	requestID, session, nextSession := tokens.NewID(), tokens.Hash("s1"), tokens.Hash("s2")
	scopes := []string{consentry.ScopeAccountBasic}

	err := store.CreateAuthRequest(ctx, consentry.AuthRequest{
		ID: requestID, SessionHash: session, ClientID: clientID,
		RedirectURI: "https://app.example.com/callback", State: "xyz", Scopes: scopes,
		ProviderID: providerID, Stage: consentry.StageSignIn,
		CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute),
	})
	if err != nil {
		c.t.Fatalf("create auth request: %v", err)
	}
	if err := store.CompleteSignIn(ctx, requestID, session, user, nextSession, now); err != nil {
		c.t.Fatalf("complete sign-in: %v", err)
	}

	grantID := tokens.NewID()
	conn, err := store.ApproveAuthRequest(ctx, consentry.Approval{
		AuthRequestID: requestID, SessionHash: nextSession, Now: now,
		Connection: consentry.Connection{
			ID: tokens.NewID(), ClientID: clientID, ProviderID: providerID, UserID: user,
			Subject: "sub-" + user, Scopes: scopes, GrantID: grantID,
			CreatedAt: now, UpdatedAt: now,
		},
		Code: consentry.AuthCode{
			Hash: tokens.Hash(tokens.NewSecret()), ClientID: clientID,
			RedirectURI: "https://app.example.com/callback", GrantID: grantID, Scopes: scopes,
			CreatedAt: now, ExpiresAt: now.Add(time.Minute),
		},
	})
	if err != nil {
		c.t.Fatalf("approve auth request: %v", err)
	}
	return conn.ID
}

func TestConnectionListAndRevoke(t *testing.T) {
	c := newCLI(t)
	c.createSandboxProvider("1000")
	c.createClient(append(webClientArgs, "--id", "app-a")...)
	c.createClient(append(webClientArgs, "--id", "app-b")...)
	connA := c.seedConnection("app-a", "1000", "alice")
	connB := c.seedConnection("app-b", "1000", "bob")

	var all []connectionJSON
	decodeJSON(t, c.mustRun("", "connection", "list", "--json"), &all)
	if len(all) != 2 {
		t.Fatalf("connection list: got %d connections, want 2", len(all))
	}

	var onlyA []connectionJSON
	decodeJSON(t, c.mustRun("", "connection", "list", "--client", "app-a", "--json"), &onlyA)
	if len(onlyA) != 1 {
		t.Fatalf("connection list --client app-a: got %d connections, want 1", len(onlyA))
	}
	got := onlyA[0]
	if got.ConnectionID != connA || got.ClientID != "app-a" || got.ProviderID != "1000" ||
		got.UserID != "alice" || got.Status != "active" || got.RevokedAt != nil {
		t.Errorf("connection of app-a: got %+v, want active %s of alice", got, connA)
	}
	checkStrings(t, "scopes", got.Scopes, []string{"ACCOUNT_BASIC"})

	r := c.mustRun("", "connection", "revoke", connA)
	if want := "Revoked connection " + connA + ".\n"; r.stdout != want {
		t.Errorf("connection revoke: got %q, want %q", r.stdout, want)
	}
	conn, err := c.openTestStore().GetConnection(context.Background(), connA)
	if err != nil {
		t.Fatalf("get revoked connection: %v", err)
	}
	if conn.Active() {
		t.Error("connection after revoke: got active, want revoked")
	}
	r = c.mustRun("", "connection", "revoke", connA)
	if !strings.Contains(r.stdout, "was revoked already") {
		t.Errorf("second revoke: got %q, want it to say the connection was revoked already", r.stdout)
	}

	decodeJSON(t, c.mustRun("", "connection", "list", "--client", "app-a", "--json"), &onlyA)
	if len(onlyA) != 1 || onlyA[0].Status != "revoked" || onlyA[0].RevokedAt == nil {
		t.Errorf("connection list after revoke: got %+v, want one revoked connection", onlyA)
	}

	text := c.mustRun("", "connection", "list").stdout
	for _, want := range []string{"CONNECTION_ID", connA, connB, "revoked", "active", "bob"} {
		if !strings.Contains(text, want) {
			t.Errorf("connection list: got %q, want it to contain %q", text, want)
		}
	}
}

func TestConnectionErrors(t *testing.T) {
	c := newCLI(t)
	r := c.mustFail(`connection "nope" not found`, "connection", "revoke", "nope")
	if !errors.Is(r.err, consentry.ErrNotFound) {
		t.Errorf("revoke of an unknown connection: got %v, want ErrNotFound", r.err)
	}
	c.mustFail(`client "nobody" not found`, "connection", "list", "--client", "nobody")
	if got := c.mustRun("", "connection", "list").stdout; got != "No connections.\n" {
		t.Errorf("connection list on an empty database: got %q, want No connections.", got)
	}
}

func TestClientDeleteRemovesConnections(t *testing.T) {
	c := newCLI(t)
	c.createSandboxProvider("1000")
	c.createClient(append(webClientArgs, "--id", "app")...)
	conn := c.seedConnection("app", "1000", "alice")
	c.mustRun("", "client", "delete", "app")
	_, err := c.openTestStore().GetConnection(context.Background(), conn)
	if !errors.Is(err, consentry.ErrNotFound) {
		t.Errorf("connection of a deleted client: got %v, want ErrNotFound", err)
	}
}
