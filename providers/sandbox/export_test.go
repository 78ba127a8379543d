package sandbox

// HashCount returns how many passwords a has hashed, so that tests can prove
// that a locked sign-in hashes nothing.
func HashCount(a *Authenticator) int64 {
	return a.hashes.Load()
}
