package tokens

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/consentry/consentry"
)

// keySet is one load of the unrevoked signing keys, decrypted. It is never
// modified after newKeySet returns, so goroutines share it without locks.
type keySet struct {
	keys     []*signingKey // in store order, oldest first
	byID     map[string]*signingKey
	loadedAt time.Time
}

type signingKey struct {
	id          string
	alg         jose.SignatureAlgorithm
	private     crypto.Signer
	public      crypto.PublicKey
	sealed      []byte
	activatesAt time.Time
	retiredAt   *time.Time
	// endsAt is when the key stops or stopped signing: its RetiredAt, or
	// the activation of a newer key, whichever comes first. Zero while
	// neither is scheduled.
	endsAt time.Time
}

// newKeySet decrypts the unrevoked keys of stored. Keys that previous holds
// with the same ciphertext are reused instead of decrypted again. Revoked keys
// are left out entirely: they neither sign nor verify.
func newKeySet(kek []byte, stored []consentry.SigningKey, previous *keySet,
	now time.Time) (*keySet, error) {
	set := &keySet{byID: make(map[string]*signingKey), loadedAt: now}
	for _, record := range stored {
		if record.RevokedAt != nil {
			continue
		}
		key, ok := previous.reusable(record)
		if !ok {
			var err error
			if key, err = openSigningKey(kek, record); err != nil {
				return nil, err
			}
		} else {
			copied := *key
			copied.retiredAt = record.RetiredAt
			key = &copied
		}
		set.keys = append(set.keys, key)
		set.byID[key.id] = key
	}
	set.scheduleEnds()
	return set, nil
}

// reusable returns the decrypted key of an earlier load when the stored
// ciphertext is unchanged.
func (s *keySet) reusable(record consentry.SigningKey) (*signingKey, bool) {
	if s == nil {
		return nil, false
	}
	key, ok := s.byID[record.ID]
	if !ok || !bytes.Equal(key.sealed, record.PrivateKey) ||
		string(key.alg) != record.Algorithm || !key.activatesAt.Equal(record.ActivatesAt) {
		return nil, false
	}
	return key, true
}

// scheduleEnds sets endsAt of every key. A key j supersedes k when j
// activates later, or at the same time but was stored later, and j is not
// retired before it activates.
func (s *keySet) scheduleEnds() {
	for i, k := range s.keys {
		k.endsAt = time.Time{}
		if k.retiredAt != nil {
			k.endsAt = *k.retiredAt
		}
		for j, newer := range s.keys {
			if !supersedes(newer, j, k, i) {
				continue
			}
			if k.endsAt.IsZero() || newer.activatesAt.Before(k.endsAt) {
				k.endsAt = newer.activatesAt
			}
		}
	}
}

func supersedes(newer *signingKey, newerIndex int, older *signingKey, olderIndex int) bool {
	if newer.retiredAt != nil && !newer.retiredAt.After(newer.activatesAt) {
		return false
	}
	if newer.activatesAt.Equal(older.activatesAt) {
		return newerIndex > olderIndex
	}
	return newer.activatesAt.After(older.activatesAt)
}

// signer returns the newest key that is active at now: activated, and not
// retired. When none is, it returns the key that activates first within
// maxClockSkew, because a key meant to sign at once (the first key, or the
// replacement of a revoked key) carries the clock of the process that created
// it, which may run ahead of this one. It returns nil when no key may sign.
func (s *keySet) signer(now time.Time) *signingKey {
	var newest, soonest *signingKey
	for _, k := range s.keys {
		if k.retiredAt != nil && !k.retiredAt.After(now) {
			continue
		}
		if k.activatesAt.After(now) {
			if !k.activatesAt.After(now.Add(maxClockSkew)) &&
				(soonest == nil || k.activatesAt.Before(soonest.activatesAt)) {
				soonest = k
			}
			continue
		}
		// Keys come oldest first, so a later key wins a tie.
		if newest == nil || !k.activatesAt.Before(newest.activatesAt) {
			newest = k
		}
	}
	if newest == nil {
		return soonest
	}
	return newest
}

func (k *signingKey) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.public, KeyID: k.id, Algorithm: string(k.alg), Use: "sig"}
}

// openSigningKey decrypts a stored key and checks it against the stored
// algorithm and public key. Tokens are verified with the public key derived
// from the decrypted private key, so a row written without the key-encryption
// key cannot make a forged token verify.
func openSigningKey(kek []byte, record consentry.SigningKey) (*signingKey, error) {
	der, err := Open(kek, record.PrivateKey, []byte(record.ID))
	if err != nil {
		return nil, fmt.Errorf("tokens: decrypt signing key %q: %w: %w", record.ID, err, errWrongKEK)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("tokens: parse signing key %q: %w", record.ID, err)
	}
	private, ok := parsed.(crypto.Signer)
	if !ok || !algorithmFits(record.Algorithm, private) {
		return nil, fmt.Errorf("tokens: signing key %q is not a %s key", record.ID, record.Algorithm)
	}
	var stored jose.JSONWebKey
	if err := stored.UnmarshalJSON(record.PublicKey); err != nil {
		return nil, fmt.Errorf("tokens: parse public key of signing key %q: %w", record.ID, err)
	}
	public := private.Public()
	if !samePublicKey(public, stored.Key) {
		return nil, fmt.Errorf("tokens: signing key %q: stored public key does not match "+
			"its private key", record.ID)
	}
	return &signingKey{
		id:          record.ID,
		alg:         jose.SignatureAlgorithm(record.Algorithm),
		private:     private,
		public:      public,
		sealed:      record.PrivateKey,
		activatesAt: record.ActivatesAt,
		retiredAt:   record.RetiredAt,
	}, nil
}

// algorithmFits reports whether private is a key for the JOSE algorithm.
// Only the algorithms that access tokens may use are accepted.
func algorithmFits(algorithm string, private crypto.Signer) bool {
	switch jose.SignatureAlgorithm(algorithm) {
	case jose.ES256:
		key, ok := private.(*ecdsa.PrivateKey)
		return ok && key.Curve == elliptic.P256()
	case jose.EdDSA:
		_, ok := private.(ed25519.PrivateKey)
		return ok
	default:
		return false
	}
}

func samePublicKey(derived crypto.PublicKey, stored any) bool {
	comparable, ok := derived.(interface{ Equal(crypto.PublicKey) bool })
	return ok && comparable.Equal(stored)
}
