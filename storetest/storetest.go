// Package storetest is the conformance suite of consentry.Store. Every storage
// backend runs it unchanged from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) consentry.Store { return newMigratedStore(t) })
//	}
//
// The suite controls the clock through the now arguments, so it never
// sleeps, and its concurrency tests start real goroutines against one store.
package storetest

import (
	"testing"

	"github.com/consentry/consentry"
)

// Run runs the suite. newStore must return an empty store with its schema
// applied, and close it with t.Cleanup; Run calls it once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) consentry.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s consentry.Store)
	}{
		{"ClientRoundTrip", testClientRoundTrip},
		{"ClientErrors", testClientErrors},
		{"ListClients", testListClients},
		{"UpdateClientSecret", testUpdateClientSecret},
		{"DeleteClient", testDeleteClient},
		{"Providers", testProviders},
		{"SandboxUsers", testSandboxUsers},

		{"AuthRequestRoundTrip", testAuthRequestRoundTrip},
		{"CompleteSignIn", testCompleteSignIn},
		{"CompleteSignInOnce", testCompleteSignInOnce},
		{"FinishAuthRequest", testFinishAuthRequest},
		{"ApproveAuthRequest", testApproveAuthRequest},
		{"ApproveAuthRequestRejected", testApproveAuthRequestRejected},
		{"GrantSupersession", testGrantSupersession},
		{"ApproveSeparateConnections", testApproveCreatesSeparateConnections},

		{"RedeemCode", testRedeemCode},
		{"IssueCodeTokens", testIssueCodeTokens},
		{"IssueCodeTokensRejected", testIssueCodeTokensRejected},
		{"AccessTokens", testAccessTokens},
		{"AccessTokenOfRevokedConnection", testAccessTokenOfRevokedConnection},
		{"AccessTokenOfRevokedKey", testAccessTokenOfRevokedKey},
		{"AccessTokenWithRevokedKey", testAccessTokenWithRevokedKey},
		{"Leases", testLeases},
		{"ConcurrentLease", testConcurrentLease},
		{"TimesKeepMilliseconds", testTimesKeepMilliseconds},

		{"GetRefreshToken", testGetRefreshToken},
		{"RotateRefreshToken", testRotateRefreshToken},
		{"RotateRefreshTokenRejected", testRotateRefreshTokenRejected},
		{"RotateRefreshTokenAtomic", testRotateRefreshTokenAtomic},
		{"GetSuccessor", testGetSuccessor},
		{"ReplaceSuccessor", testReplaceSuccessor},
		{"ReplaceSuccessorRejected", testReplaceSuccessorRejected},

		{"ListConnections", testListConnections},
		{"RevokeConnection", testRevokeConnection},

		{"LoginFailures", testLoginFailures},
		{"LoginLocks", testLoginLocks},
		{"EnsureSecret", testEnsureSecret},
		{"SigningKeys", testSigningKeys},
		{"SigningKeysOneMillisecond", testSigningKeysOneMillisecond},

		{"DeleteExpired", testDeleteExpired},
		{"DeleteExpiredLimit", testDeleteExpiredLimit},

		{"ConcurrentRotate", testConcurrentRotate},
		{"ConcurrentRedeem", testConcurrentRedeem},
		{"ConcurrentCompleteSignIn", testConcurrentCompleteSignIn},
		{"ConcurrentApprove", testConcurrentApprove},
		{"ConcurrentApproveSameUser", testConcurrentApproveSameUser},
		{"ConcurrentReplaceSuccessor", testConcurrentReplaceSuccessor},
		{"ConcurrentEnsureSecret", testConcurrentEnsureSecret},
		{"ConcurrentFirstSigningKey", testConcurrentFirstSigningKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.test(t, newStore(t))
		})
	}
}
