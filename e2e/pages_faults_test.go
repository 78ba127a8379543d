package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/server"
)

// pageFaultStore extends faultStore to the methods behind the sign-in and
// consent pages.
type pageFaultStore struct {
	*faultStore
}

func (f pageFaultStore) GetAuthRequest(ctx context.Context, id string) (consentry.AuthRequest, error) {
	if err := f.fault("GetAuthRequest"); err != nil {
		return consentry.AuthRequest{}, err
	}
	return f.Store.GetAuthRequest(ctx, id)
}

func (f pageFaultStore) CompleteSignIn(ctx context.Context, id string, sessionHash []byte, userID string,
	newSessionHash []byte, now time.Time) error {
	if err := f.fault("CompleteSignIn"); err != nil {
		return err
	}
	return f.Store.CompleteSignIn(ctx, id, sessionHash, userID, newSessionHash, now)
}

func (f pageFaultStore) FinishAuthRequest(ctx context.Context, id string, sessionHash []byte,
	stage consentry.AuthStage) error {
	if err := f.fault("FinishAuthRequest"); err != nil {
		return err
	}
	return f.Store.FinishAuthRequest(ctx, id, sessionHash, stage)
}

func (f pageFaultStore) ApproveAuthRequest(ctx context.Context, a consentry.Approval) (consentry.Connection, error) {
	if err := f.fault("ApproveAuthRequest"); err != nil {
		return consentry.Connection{}, err
	}
	return f.Store.ApproveAuthRequest(ctx, a)
}

func (f pageFaultStore) LoginLockedUntil(ctx context.Context, key string) (time.Time, error) {
	if err := f.fault("LoginLockedUntil"); err != nil {
		return time.Time{}, err
	}
	return f.Store.LoginLockedUntil(ctx, key)
}

func newPageFaultEnv(t *testing.T) (*env, *faultStore) {
	t.Helper()
	store := newTestStore(t)
	faults := newFaultStore(store)
	return newEnvWithStore(t, pageFaultStore{faults}), faults
}

// TestPagesStorageFailure makes the store fail behind each page. While the
// pending request cannot be read, the response is a page. After that, it is a
// redirect to the client, and the failed request is finished, so a retry once
// the store recovers gets no second redirect.
func TestPagesStorageFailure(t *testing.T) {
	unavailable := fmt.Errorf("sqlite: %w", consentry.ErrUnavailable)
	signInStep := func(t *testing.T, e *env, b *browser) func() page {
		p := e.openSignIn(b, nil)
		return func() page { return b.submit(e.issuer, p, credentials(server.DevUsername, server.DevPassword)) }
	}
	consentStep := func(decision string) func(*testing.T, *env, *browser) func() page {
		return func(t *testing.T, e *env, b *browser) func() page {
			consent := e.consentFor(t, b, nil, nil)
			return func() page { return b.submit(e.issuer, consent, url.Values{"decision": {decision}}) }
		}
	}
	consentPageStep := func(t *testing.T, e *env, b *browser) func() page {
		after := signInStep(t, e, b)()
		wantSignedIn(t, after)
		return func() page { return b.get(e.issuer + after.resp.Header.Get("Location")) }
	}
	wrongPasswordStep := func(t *testing.T, e *env, b *browser) func() page {
		p := e.openSignIn(b, nil)
		return func() page { return b.submit(e.issuer, p, credentials(server.DevUsername, wrongPassword)) }
	}
	cases := []struct {
		name   string
		method string
		err    error
		step   func(*testing.T, *env, *browser) func() page
		page   bool
		want   *oauth.Error
	}{
		{"sign-in read unavailable", "GetAuthRequest", unavailable, signInStep, true, oauth.ErrUnavailable},
		{"sign-in read sql error", "GetAuthRequest", sqlLikeError, signInStep, true, oauth.ErrServer},
		{"consent read unavailable", "GetAuthRequest", unavailable, consentStep("approve"), true, oauth.ErrUnavailable},
		{"lock check unavailable", "LoginLockedUntil", unavailable, signInStep, false, oauth.ErrUnavailable},
		{"sign-in update sql error", "CompleteSignIn", sqlLikeError, signInStep, false, oauth.ErrServer},
		{"approve unavailable", "ApproveAuthRequest", unavailable, consentStep("approve"), false, oauth.ErrUnavailable},
		{"approve sql error", "ApproveAuthRequest", sqlLikeError, consentStep("approve"), false, oauth.ErrServer},
		{"deny unavailable", "FinishAuthRequest", unavailable, consentStep("deny"), false, oauth.ErrUnavailable},
		{"consent page names unavailable", "GetClient", unavailable, consentPageStep, false, oauth.ErrUnavailable},
		{"sign-in failure names sql error", "GetProvider", sqlLikeError, wrongPasswordStep, false, oauth.ErrServer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, faults := newPageFaultEnv(t)
			next := c.step(t, e, e.newBrowser())
			faults.fail(c.method, c.err)
			p := next()
			if c.page {
				wantErrorPage(t, p, c.want.Status, c.want.Description)
			} else {
				e.wantErrorRedirect(t, p, devURI, c.want, testState)
			}
			wantRetryAfter := map[bool]string{true: "5", false: ""}[c.want == oauth.ErrUnavailable]
			if got := p.resp.Header.Get("Retry-After"); got != wantRetryAfter {
				t.Errorf("got Retry-After %q, want %q", got, wantRetryAfter)
			}
			if strings.Contains(p.body, "sqlite") || strings.Contains(p.body, "SQL") {
				t.Error("answer contains storage internals")
			}
			wantCauseLogged(t, e, p, c.err)

			faults.heal()
			retry := next()
			if c.page {
				if retry.resp.StatusCode >= 400 {
					t.Errorf("retry after a page: got status %d, want the flow to continue", retry.resp.StatusCode)
				}
				return
			}
			wantRetryFinished(t, retry, c.method)
		})
	}
}

// wantRetryFinished checks the retry of a post whose failure was already
// sent to the client by redirect: the retry gets a page, unless the failed
// method is the one that finishes the request, which then stays pending.
func wantRetryFinished(t *testing.T, retry page, method string) {
	t.Helper()
	if method == "FinishAuthRequest" {
		if retry.resp.StatusCode != http.StatusFound {
			t.Errorf("retry of deny: got status %d, want the redirect the failed one could not send", retry.resp.StatusCode)
		}
		return
	}
	wantErrorPage(t, retry, http.StatusBadRequest, oauth.ErrPendingUnknown.Description)
}

// panicStore panics in GetClient once armed, standing for a handler bug.
type panicStore struct {
	consentry.Store
	armed *atomic.Bool
}

func (p panicStore) GetClient(ctx context.Context, id string) (consentry.Client, error) {
	if p.armed.Load() {
		panic("sqlite: get client: index out of range")
	}
	return p.Store.GetClient(ctx, id)
}

// TestAuthorizePanicShowsPage checks that a panic while an authorization
// request is checked ends on an error page without internals, not on a JSON
// body or a redirect.
func TestAuthorizePanicShowsPage(t *testing.T) {
	store := newTestStore(t)
	armed := &atomic.Bool{}
	e := newEnvWithStore(t, panicStore{Store: store, armed: armed})
	armed.Store(true)

	p := e.newBrowser().get(e.authorizeURL(e.authorizeParams(nil)))
	wantErrorPage(t, p, http.StatusInternalServerError, oauth.ErrServer.Description)
	if strings.Contains(p.body, "index out of range") {
		t.Error("page contains the panic value")
	}
	token := e.post("/api/v1/token", url.Values{"grant_type": {"client_credentials"}},
		server.DevClientID, server.DevClientSecret)
	wantError(t, token, http.StatusInternalServerError, oauth.CodeServerError)
}
