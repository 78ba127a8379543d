package sandbox

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/consentry/consentry"
)

// MaxUsernameSize is the longest username in bytes that can sign in.
const MaxUsernameSize = 256

var (
	// ErrInvalidCredentials means the username or the password is wrong. An
	// unknown user gets this error too, after the same amount of work.
	ErrInvalidCredentials = errors.New("invalid username or password")
	// ErrBusy means no hashing slot freed up within Limits.HashWait.
	ErrBusy = errors.New("too many sign-ins in progress")
)

// LockedError means sign-ins for the user or from the remote address are
// rejected until Until, after too many failures.
type LockedError struct {
	Until time.Time
}

func (e *LockedError) Error() string {
	return "sign-in locked until " + e.Until.UTC().Format(time.RFC3339)
}

// Limits bound failed sign-ins and concurrent password hashing. A zero or
// negative field takes its default.
type Limits struct {
	// UserFailures is how many failures of one user within Window lock it;
	// default 5.
	UserFailures int
	// AddrFailures is how many failures from one remote address within
	// Window lock it; default 100.
	AddrFailures int
	// Window is how far back failures are counted; default 15 min.
	Window time.Duration
	// Lockout is how long a lock lasts; default 15 min.
	Lockout time.Duration
	// MaxHashing is how many password hashes may run at once; default twice
	// the number of CPUs. Each Argon2id hash holds 19 MiB of memory.
	MaxHashing int
	// HashWait is how long a sign-in waits for a hashing slot before
	// failing with ErrBusy; default 2 s.
	HashWait time.Duration
}

func (l Limits) withDefaults() Limits {
	defaults := []struct {
		value *int
		def   int
	}{
		{&l.UserFailures, 5}, {&l.AddrFailures, 100}, {&l.MaxHashing, 2 * runtime.NumCPU()},
	}
	for _, d := range defaults {
		if *d.value <= 0 {
			*d.value = d.def
		}
	}
	if l.Window <= 0 {
		l.Window = 15 * time.Minute
	}
	if l.Lockout <= 0 {
		l.Lockout = 15 * time.Minute
	}
	if l.HashWait <= 0 {
		l.HashWait = 2 * time.Second
	}
	return l
}

// Authenticator checks the passwords of sandbox users. Failure counts and
// locks live in the store, so they hold across server replicas; only the
// bound on concurrent hashing is per process.
type Authenticator struct {
	store  consentry.Store
	limits Limits
	// slots holds one token per password hash in progress.
	slots chan struct{}
	// hashes counts password hashes, so tests can tell whether one ran.
	hashes atomic.Int64
}

// NewAuthenticator returns an Authenticator over store.
func NewAuthenticator(store consentry.Store, limits Limits) *Authenticator {
	limits = limits.withDefaults()
	return &Authenticator{
		store:  store,
		limits: limits,
		slots:  make(chan struct{}, limits.MaxHashing),
	}
}

// dummyHash is verified in place of the hash of an unknown user, so that the
// response time does not reveal which usernames exist. Its password does not
// matter because an unknown user never signs in. It is made on first use
// because hashing takes tens of milliseconds.
var dummyHash = sync.OnceValue(func() string {
	hash, err := HashPassword("password of no user")
	if err != nil {
		panic(err) // HashPassword fails only for an empty or oversized password
	}
	return hash
})

// SignIn checks the password of a sandbox user and returns the user id, which
// is the username. While the user or remoteAddr is locked it returns a
// *LockedError without hashing, so a locked sign-in costs only two store
// reads. Otherwise it waits up to Limits.HashWait for a hashing slot
// (ErrBusy when none frees up) and verifies the password. An unknown user, a
// username over 256 bytes and a password over 1024 bytes cost one hash like
// any other attempt and get ErrInvalidCredentials. A failure is counted for
// the user and for the address, and a count that reaches its limit within
// Limits.Window locks that key for Limits.Lockout. A success clears the user's
// failures. Concurrent attempts that all pass the lock check are all hashed,
// so the limit can be exceeded by up to Limits.MaxHashing attempts.
func (a *Authenticator) SignIn(ctx context.Context, providerID, username, password,
	remoteAddr string, now time.Time) (userID string, err error) {
	userKey := "user:" + providerID + ":" + username
	addrKey := "addr:" + remoteAddr
	if err := a.checkLocks(ctx, now, userKey, addrKey); err != nil {
		return "", err
	}
	ok, err := a.verify(ctx, providerID, username, password)
	if err != nil {
		return "", err
	}
	if !ok {
		// An oversized username names no user, so only the address is
		// charged and no row is stored under such a long key.
		if len(username) <= MaxUsernameSize {
			if err := a.recordFailure(ctx, now, userKey, a.limits.UserFailures); err != nil {
				return "", err
			}
		}
		if err := a.recordFailure(ctx, now, addrKey, a.limits.AddrFailures); err != nil {
			return "", err
		}
		return "", ErrInvalidCredentials
	}
	if err := a.store.ClearLoginFailures(ctx, userKey); err != nil {
		return "", fmt.Errorf("sandbox: clear sign-in failures: %w", err)
	}
	return username, nil
}

// checkLocks returns a *LockedError with the latest end of the locks of keys
// that are in force at now.
func (a *Authenticator) checkLocks(ctx context.Context, now time.Time, keys ...string) error {
	var until time.Time
	for _, key := range keys {
		lockedUntil, err := a.store.LoginLockedUntil(ctx, key)
		if err != nil {
			return fmt.Errorf("sandbox: read sign-in lock: %w", err)
		}
		if lockedUntil.After(now) && lockedUntil.After(until) {
			until = lockedUntil
		}
	}
	if !until.IsZero() {
		return &LockedError{Until: until}
	}
	return nil
}

// verify looks the user up and checks the password while holding a hashing
// slot. It reports false for an unknown user after hashing against dummyHash.
func (a *Authenticator) verify(ctx context.Context, providerID, username, password string) (
	bool, error) {
	release, err := a.acquireSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()

	hash, known := dummyHash(), false
	if len(username) <= MaxUsernameSize && len(password) <= MaxPasswordSize {
		user, err := a.store.GetSandboxUser(ctx, providerID, username)
		switch {
		case err == nil:
			hash, known = user.PasswordHash, true
		case !errors.Is(err, consentry.ErrNotFound):
			return false, fmt.Errorf("sandbox: look up user: %w", err)
		}
	}
	// An oversized password is cut so that its hash costs no more than any
	// other; it cannot match because known is false.
	if len(password) > MaxPasswordSize {
		password = password[:MaxPasswordSize]
	}
	a.hashes.Add(1)
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		return false, fmt.Errorf("sandbox: verify password of a user of provider %q: %w",
			providerID, err)
	}
	return ok && known, nil
}

// acquireSlot takes a hashing slot, waiting at most Limits.HashWait, and
// returns the function that gives it back.
func (a *Authenticator) acquireSlot(ctx context.Context) (func(), error) {
	release := func() { <-a.slots }
	select {
	case a.slots <- struct{}{}:
		return release, nil
	default:
	}
	timer := time.NewTimer(a.limits.HashWait)
	defer timer.Stop()
	select {
	case a.slots <- struct{}{}:
		return release, nil
	case <-timer.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, fmt.Errorf("sandbox: wait for a hashing slot: %w", ctx.Err())
	}
}

// recordFailure counts a failed sign-in for key and locks the key once the
// count within Limits.Window reaches limit.
func (a *Authenticator) recordFailure(ctx context.Context, now time.Time, key string,
	limit int) error {
	count, err := a.store.RecordLoginFailure(ctx, key, now, now.Add(-a.limits.Window))
	if err != nil {
		return fmt.Errorf("sandbox: record sign-in failure: %w", err)
	}
	if count < limit {
		return nil
	}
	if err := a.store.LockLogin(ctx, key, now.Add(a.limits.Lockout)); err != nil {
		return fmt.Errorf("sandbox: lock sign-in: %w", err)
	}
	return nil
}
