package sandbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/providers/sandbox"
)

// memoryStore keeps sandbox users, sign-in failures and locks in memory. The
// embedded nil Store makes any other method panic.
type memoryStore struct {
	consentry.Store

	mu       sync.Mutex
	users    map[[2]string]consentry.SandboxUser
	failures map[string][]time.Time
	locks    map[string]time.Time

	// lookupStarted, when set, receives a value as GetSandboxUser starts, and
	// lookupRelease, when set, holds GetSandboxUser until it is closed.
	lookupStarted chan struct{}
	lookupRelease chan struct{}
}

func newMemoryStore() *memoryStore {
	return &memoryStore{
		users:    make(map[[2]string]consentry.SandboxUser),
		failures: make(map[string][]time.Time),
		locks:    make(map[string]time.Time),
	}
}

func (s *memoryStore) GetSandboxUser(_ context.Context, providerID, username string) (
	consentry.SandboxUser, error) {
	if s.lookupStarted != nil {
		s.lookupStarted <- struct{}{}
	}
	if s.lookupRelease != nil {
		<-s.lookupRelease
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, ok := s.users[[2]string{providerID, username}]
	if !ok {
		return consentry.SandboxUser{}, consentry.ErrNotFound
	}
	return user, nil
}

func (s *memoryStore) RecordLoginFailure(_ context.Context, key string, at, since time.Time) (
	int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[key] = append(s.failures[key], at)
	count := 0
	for _, t := range s.failures[key] {
		if !t.Before(since) {
			count++
		}
	}
	return count, nil
}

func (s *memoryStore) ClearLoginFailures(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, key)
	return nil
}

func (s *memoryStore) LockLogin(_ context.Context, key string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locks[key] = until
	return nil
}

func (s *memoryStore) LoginLockedUntil(_ context.Context, key string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.locks[key], nil
}

func (s *memoryStore) failureCount(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.failures[key])
}

// addUser stores a sandbox user with a hash of password.
func (s *memoryStore) addUser(t *testing.T, providerID, username, password string) {
	t.Helper()
	hash, err := sandbox.HashPassword(password)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[[2]string{providerID, username}] = consentry.SandboxUser{
		ProviderID: providerID, Username: username, PasswordHash: hash,
	}
}
