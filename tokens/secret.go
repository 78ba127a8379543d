// Package tokens makes and checks the server's secrets: random values for
// client secrets, codes and refresh tokens, their SHA-256 digests, pairwise
// subjects, the encryption of signing keys at rest, and the signed JWT access
// tokens of RFC 9068.
package tokens

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
)

// NewSecret returns 256 random bits, base64url-encoded without padding
// (43 characters): the value of a client secret, code or refresh token.
func NewSecret() string {
	return randomString(32)
}

// NewID returns 128 random bits, base64url-encoded without padding
// (22 characters): an identifier such as a jti, connection id or grant id.
func NewID() string {
	return randomString(16)
}

func randomString(size int) string {
	buf := make([]byte, size)
	// crypto/rand.Read never returns an error since Go 1.24: it crashes the
	// program instead when the system's random source fails.
	_, _ = rand.Read(buf)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Hash returns the SHA-256 digest of value. Codes, refresh tokens, client
// secrets and session cookies are stored only as this digest, so a copy of the
// database cannot be replayed.
func Hash(value string) []byte {
	sum := sha256.Sum256([]byte(value))
	return sum[:]
}

// SecretMatches reports whether hash is the SHA-256 digest of secret. The
// comparison takes the same time wherever the digests differ. An empty hash
// never matches, because it is how a public client records that it has no
// secret.
func SecretMatches(hash []byte, secret string) bool {
	if len(hash) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(hash, Hash(secret)) == 1
}

// PairwiseSubject returns the sub claim of a user's tokens for one client: an
// HMAC-SHA-256, keyed with key, over the provider id, the user id and the
// client id, base64url-encoded without padding. Each field is prefixed with its
// length, so that no two different triples produce the same input.
func PairwiseSubject(key []byte, providerID, userID, clientID string) string {
	mac := hmac.New(sha256.New, key)
	for _, field := range []string{providerID, userID, clientID} {
		var length [8]byte
		binary.BigEndian.PutUint64(length[:], uint64(len(field)))
		mac.Write(length[:])
		mac.Write([]byte(field))
	}
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
