package sqlstore

import (
	"context"
	"math/rand/v2"
	"time"
)

// Bounds of retry. They are sized for the conformance suite's races, 20
// transactions colliding on one row at SERIALIZABLE isolation, which needed
// up to 7 attempts in six runs on a 2-core machine.
const (
	maxAttempts = 10
	// maxPause caps the random pause before an attempt.
	maxPause = 50 * time.Millisecond
)

// retry runs fn until it returns nil or an error that the dialect does not
// report as retryable, at most maxAttempts times, or until ctx ends. Before
// each new attempt it pauses for a random time below a bound that doubles
// with every attempt, up to maxPause, so that transactions that collided
// do not collide again in step. It returns the last error of fn.
func retry(ctx context.Context, d Dialect, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !d.isRetryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return err
		}
		bound := min(time.Millisecond<<attempt, maxPause)
		timer := time.NewTimer(rand.N(bound))
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
	}
}
