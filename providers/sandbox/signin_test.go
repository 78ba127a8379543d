package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/consentry/consentry/providers/sandbox"
)

const (
	testProvider = "1000"
	testAddr     = "192.0.2.10"
)

var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestAuthenticator(t *testing.T, limits sandbox.Limits) (*sandbox.Authenticator,
	*memoryStore) {
	t.Helper()
	store := newMemoryStore()
	store.addUser(t, testProvider, "demo", "demo-password")
	return sandbox.NewAuthenticator(store, limits), store
}

// signIn signs in as username from testAddr at now.
func signIn(a *sandbox.Authenticator, username, password string, now time.Time) (string, error) {
	return a.SignIn(context.Background(), testProvider, username, password, testAddr, now)
}

// failSignIns makes n sign-ins with a wrong password, each expected to fail
// with ErrInvalidCredentials.
func failSignIns(t *testing.T, a *sandbox.Authenticator, username string, n int, now time.Time) {
	t.Helper()
	for i := range n {
		if _, err := signIn(a, username, "wrong", now); !errors.Is(err, sandbox.ErrInvalidCredentials) {
			t.Fatalf("failure %d: got error %v, want ErrInvalidCredentials", i+1, err)
		}
	}
}

func TestSignInSuccess(t *testing.T) {
	a, _ := newTestAuthenticator(t, sandbox.Limits{})
	got, err := signIn(a, "demo", "demo-password", testNow)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if got != "demo" {
		t.Errorf("got user id %q, want %q", got, "demo")
	}
}

func TestSignInRejects(t *testing.T) {
	tests := []struct {
		name     string
		username string
		password string
		// userKeyCharged reports whether a failure is recorded for the user.
		userKeyCharged bool
	}{
		{"wrong password", "demo", "wrong", true},
		{"empty password", "demo", "", true},
		{"username in other case", "Demo", "demo-password", true},
		{"unknown user", "nobody", "demo-password", true},
		{"unknown user with the dummy password", "nobody", "password of no user", true},
		{"username over 256 bytes", strings.Repeat("u", 257), "demo-password", false},
		{"password over 1024 bytes", "demo", "demo-password" + strings.Repeat("x", 1012), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, store := newTestAuthenticator(t, sandbox.Limits{})
			hashesBefore := sandbox.HashCount(a)
			got, err := signIn(a, tt.username, tt.password, testNow)
			if !errors.Is(err, sandbox.ErrInvalidCredentials) {
				t.Fatalf("got %q and error %v, want ErrInvalidCredentials", got, err)
			}
			if hashes := sandbox.HashCount(a) - hashesBefore; hashes != 1 {
				t.Errorf("got %d hashes, want 1", hashes)
			}
			userFailures := store.failureCount("user:" + testProvider + ":" + tt.username)
			if want := map[bool]int{true: 1, false: 0}[tt.userKeyCharged]; userFailures != want {
				t.Errorf("got %d user failures, want %d", userFailures, want)
			}
			if got := store.failureCount("addr:" + testAddr); got != 1 {
				t.Errorf("got %d address failures, want 1", got)
			}
		})
	}
}

func TestSignInOverlongPasswordNeverMatches(t *testing.T) {
	a, store := newTestAuthenticator(t, sandbox.Limits{})
	password := strings.Repeat("p", 1024)
	store.addUser(t, testProvider, "long", password)
	if _, err := signIn(a, "long", password, testNow); err != nil {
		t.Fatalf("SignIn with the 1024-byte password: %v", err)
	}
	_, err := signIn(a, "long", password+"p", testNow)
	if !errors.Is(err, sandbox.ErrInvalidCredentials) {
		t.Errorf("got error %v for a longer password, want ErrInvalidCredentials", err)
	}
}

func TestSignInUserLockout(t *testing.T) {
	a, _ := newTestAuthenticator(t, sandbox.Limits{})
	failSignIns(t, a, "demo", 5, testNow)

	hashesBefore := sandbox.HashCount(a)
	_, err := signIn(a, "demo", "demo-password", testNow.Add(time.Minute))
	var locked *sandbox.LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("got error %v on the sixth attempt, want *LockedError", err)
	}
	if want := testNow.Add(15 * time.Minute); !locked.Until.Equal(want) {
		t.Errorf("got lock until %v, want %v", locked.Until, want)
	}
	if hashes := sandbox.HashCount(a) - hashesBefore; hashes != 0 {
		t.Errorf("got %d hashes for a locked sign-in, want 0", hashes)
	}

	// Another user from the same address is not locked.
	if _, err := signIn(a, "nobody", "x", testNow.Add(time.Minute)); !errors.Is(err,
		sandbox.ErrInvalidCredentials) {
		t.Errorf("got error %v for another user, want ErrInvalidCredentials", err)
	}

	if _, err := signIn(a, "demo", "demo-password", locked.Until); err != nil {
		t.Errorf("got error %v when the lock has ended, want success", err)
	}
}

func TestSignInFailuresOutsideWindow(t *testing.T) {
	a, _ := newTestAuthenticator(t, sandbox.Limits{UserFailures: 2, Window: time.Minute})
	failSignIns(t, a, "demo", 1, testNow)
	failSignIns(t, a, "demo", 1, testNow.Add(2*time.Minute))
	if _, err := signIn(a, "demo", "demo-password", testNow.Add(2*time.Minute)); err != nil {
		t.Fatalf("got error %v after failures a window apart, want success", err)
	}
}

func TestSignInAddressLimit(t *testing.T) {
	a, store := newTestAuthenticator(t, sandbox.Limits{AddrFailures: 3})
	for _, username := range []string{"u1", "u2", "u3"} {
		failSignIns(t, a, username, 1, testNow)
	}

	_, err := signIn(a, "demo", "demo-password", testNow)
	var locked *sandbox.LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("got error %v from a locked address, want *LockedError", err)
	}
	if got := store.failureCount("user:" + testProvider + ":demo"); got != 0 {
		t.Errorf("got %d failures for the user, want 0", got)
	}
	user, err := a.SignIn(context.Background(), testProvider, "demo", "demo-password",
		"198.51.100.7", testNow)
	if err != nil || user != "demo" {
		t.Errorf("got %q and error %v from another address, want success", user, err)
	}
}

func TestSignInSuccessClearsUserFailures(t *testing.T) {
	a, store := newTestAuthenticator(t, sandbox.Limits{})
	failSignIns(t, a, "demo", 4, testNow)
	if _, err := signIn(a, "demo", "demo-password", testNow); err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if got := store.failureCount("user:" + testProvider + ":demo"); got != 0 {
		t.Errorf("got %d user failures after success, want 0", got)
	}
	if got := store.failureCount("addr:" + testAddr); got != 4 {
		t.Errorf("got %d address failures after success, want 4 (kept)", got)
	}
	failSignIns(t, a, "demo", 4, testNow)
	if _, err := signIn(a, "demo", "demo-password", testNow); err != nil {
		t.Errorf("got error %v after four new failures, want success", err)
	}
}

func TestSignInBusy(t *testing.T) {
	store := newMemoryStore()
	store.addUser(t, testProvider, "demo", "demo-password")
	store.lookupStarted = make(chan struct{}, 1)
	store.lookupRelease = make(chan struct{})
	wait := 50 * time.Millisecond
	a := sandbox.NewAuthenticator(store, sandbox.Limits{MaxHashing: 1, HashWait: wait})

	// The first sign-in holds the only slot while its lookup is stalled.
	first := make(chan error, 1)
	go func() {
		_, err := signIn(a, "demo", "demo-password", testNow)
		first <- err
	}()
	<-store.lookupStarted

	start := time.Now()
	_, err := signIn(a, "demo", "demo-password", testNow)
	if !errors.Is(err, sandbox.ErrBusy) {
		t.Errorf("got error %v with every slot taken, want ErrBusy", err)
	}
	if elapsed := time.Since(start); elapsed < wait {
		t.Errorf("got ErrBusy after %v, want a wait of %v first", elapsed, wait)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = a.SignIn(ctx, testProvider, "demo", "demo-password", testAddr, testNow)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got error %v with a cancelled context, want context.Canceled", err)
	}

	close(store.lookupRelease)
	if err := <-first; err != nil {
		t.Errorf("first sign-in: %v", err)
	}
	store.lookupStarted = nil
	if _, err := signIn(a, "demo", "demo-password", testNow); err != nil {
		t.Errorf("got error %v once the slot is free, want success", err)
	}
}
