package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/consentry/consentry"
)

func testLeases(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	acquire := func(holder string, until, now time.Time) bool {
		t.Helper()
		ok, err := s.AcquireLease(e.ctx, "maintenance", holder, until, now)
		if err != nil {
			t.Fatalf("acquire lease for %s: %v", holder, err)
		}
		return ok
	}
	if !acquire("a", after(time.Minute), t0) {
		t.Fatal("free lease: got not acquired, want acquired")
	}
	if acquire("b", after(2*time.Minute), after(30*time.Second)) {
		t.Error("lease held by a: b acquired it, want refused")
	}
	if !acquire("a", after(2*time.Minute), after(30*time.Second)) {
		t.Error("holder extending its lease: got refused, want acquired")
	}
	if !acquire("b", after(4*time.Minute), after(2*time.Minute)) {
		t.Error("expired lease: got refused, want acquired by b")
	}
	if acquire("a", after(5*time.Minute), after(3*time.Minute)) {
		t.Error("lease now held by b: a acquired it, want refused")
	}
	other, err := s.AcquireLease(e.ctx, "other", "a", after(5*time.Minute), after(3*time.Minute))
	if err != nil || !other {
		t.Errorf("another lease name: got %v, %v, want acquired", other, err)
	}
}

func testConcurrentLease(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	const callers = 20
	var wg sync.WaitGroup
	results := make(chan bool, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.AcquireLease(e.ctx, "maintenance", fmt.Sprintf("replica-%d", i), after(time.Minute), t0)
			if err != nil {
				t.Errorf("acquire lease: %v", err)
			}
			results <- ok
		}()
	}
	wg.Wait()
	close(results)
	winners := 0
	for ok := range results {
		if ok {
			winners++
		}
	}
	if winners != 1 {
		t.Errorf("got %d replicas holding a free lease after a race, want 1", winners)
	}
}
