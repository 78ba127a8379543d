package tokens

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/time/rate"

	"github.com/consentry/consentry"
)

// Defaults of KeyOptions.
const (
	// DefaultCacheTTL is how long the key list is cached by default.
	DefaultCacheTTL = 5 * time.Second
	// DefaultPublishFor is the default access-token lifetime (300 s) plus 60 s
	// of clock skew.
	DefaultPublishFor = 360 * time.Second
)

// RotationLead is how long after Rotate the new key starts signing: the 300 s
// for which resource servers may cache the JWKS (its Cache-Control max-age),
// plus twice DefaultCacheTTL for replicas whose cached key list predates the
// new key. Replicas that use DefaultCacheTTL thus publish the key for at least
// 300 s before any token carries its kid.
const RotationLead = 300*time.Second + 2*DefaultCacheTTL

// forcedReloadInterval limits how often an unknown kid reloads the key list,
// so that tokens with random kids cannot turn into one store query each. It
// is short because a replacement key made by another replica or the command
// line is unknown here until the next reload, and its tokens are refused
// until then.
const forcedReloadInterval = 100 * time.Millisecond

// KeyOptions configures a KeyManager.
type KeyOptions struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CacheTTL is how long the key list is reused before it is read from the
	// store again, which bounds how long a key revoked elsewhere still
	// verifies. Zero means DefaultCacheTTL. A negative value reads the store
	// on every use.
	CacheTTL time.Duration
	// PublishFor is how long a key stays in the JWKS after it stopped
	// signing: the access-token lifetime plus clock skew. Zero means
	// DefaultPublishFor.
	PublishFor time.Duration
}

// KeyManager signs and verifies access tokens with the signing keys kept in
// the store, encrypted under the key-encryption key. It caches the decrypted
// key list for KeyOptions.CacheTTL, so a key created or revoked by another
// replica or by the command line takes effect within that time. It is safe
// for concurrent use.
type KeyManager struct {
	store      consentry.Store
	kek        []byte
	now        func() time.Time
	cacheTTL   time.Duration
	publishFor time.Duration

	// unknownKID limits the reloads that tokens with unknown kids cause. It
	// counts only those reloads: a list loaded for another reason just
	// before another replica stored a key must not hide that key.
	unknownKID *rate.Limiter

	// loading holds one token while a goroutine reads the store, so that
	// concurrent callers wait for one load instead of starting their own.
	loading chan struct{}

	mu  sync.Mutex
	set *keySet // nil until the first load
}

// NewKeyManager returns a KeyManager over store. kek must be a 32-byte
// key-encryption key; a wrong one makes Init fail.
func NewKeyManager(store consentry.Store, kek []byte, opts KeyOptions) *KeyManager {
	m := &KeyManager{
		store:      store,
		kek:        kek,
		now:        opts.Now,
		cacheTTL:   opts.CacheTTL,
		publishFor: opts.PublishFor,
		loading:    make(chan struct{}, 1),
		unknownKID: rate.NewLimiter(rate.Every(forcedReloadInterval), 1),
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.cacheTTL == 0 {
		m.cacheTTL = DefaultCacheTTL
	}
	if m.publishFor <= 0 {
		m.publishFor = DefaultPublishFor
	}
	return m
}

// Init makes sure that a signing key exists and loads the key list. When the
// store has no unrevoked key it stores a new ES256 key that signs at once,
// because no other key could sign meanwhile. Of several replicas starting
// together only one stores its key, because Store.CreateFirstSigningKey
// decides atomically. Init fails when a stored key cannot be decrypted with
// the key-encryption key.
func (m *KeyManager) Init(ctx context.Context) error {
	stored, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("tokens: list signing keys: %w", err)
	}
	if !hasUnrevoked(stored) {
		now := m.now()
		key, err := newSigningKey(m.kek, now, now)
		if err != nil {
			return err
		}
		if _, err := m.store.CreateFirstSigningKey(ctx, key); err != nil {
			return fmt.Errorf("tokens: create first signing key: %w", err)
		}
	}
	if _, err := m.reload(ctx, 0); err != nil {
		return err
	}
	return nil
}

// Rotate stores a new ES256 key that starts signing RotationLead from now.
// Until then it is only published. The key it replaces needs no update: a key
// stops signing when a newer key activates, and stays in the JWKS for
// KeyOptions.PublishFor after that.
func (m *KeyManager) Rotate(ctx context.Context) (consentry.SigningKey, error) {
	now := m.now()
	key, err := newSigningKey(m.kek, now, now.Add(RotationLead))
	if err != nil {
		return consentry.SigningKey{}, err
	}
	if err := m.store.CreateSigningKey(ctx, key); err != nil {
		return consentry.SigningKey{}, fmt.Errorf("tokens: create signing key: %w", err)
	}
	if _, err := m.reload(ctx, 0); err != nil {
		return consentry.SigningKey{}, err
	}
	return key, nil
}

// JWKS returns the JSON Web Key Set (RFC 7517 §5) of the public keys that
// verify access tokens: every unrevoked key that has not stopped signing, or
// stopped less than KeyOptions.PublishFor ago. Keys that have not started
// signing yet are included, so that caches learn them in advance.
func (m *KeyManager) JWKS(ctx context.Context) ([]byte, error) {
	// The key set is read at most a second old, not from the full cache:
	// clients cache the JWKS for 300 s, so a stale copy would outlive a
	// revocation or a replacement key by that long.
	maxAge := jwksMaxAge
	if m.cacheTTL < maxAge {
		maxAge = max(m.cacheTTL, 0)
	}
	set, err := m.reload(ctx, maxAge)
	if err != nil {
		return nil, err
	}
	now := m.now()
	jwks := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range set.keys {
		if !k.endsAt.IsZero() && !now.Before(k.endsAt.Add(m.publishFor)) {
			continue
		}
		jwks.Keys = append(jwks.Keys, k.publicJWK())
	}
	body, err := json.Marshal(jwks)
	if err != nil {
		return nil, fmt.Errorf("tokens: encode jwks: %w", err)
	}
	return body, nil
}

// jwksMaxAge is the oldest key list that JWKS serves. It bounds the store
// reads that an unauthenticated client can cause to one per second.
const jwksMaxAge = time.Second

// Reload reads the key list from the store now, so that a key revoked or
// created elsewhere takes effect before the cache would expire.
func (m *KeyManager) Reload(ctx context.Context) error {
	_, err := m.reload(ctx, 0)
	return err
}

// keys returns the cached key list, reading the store when it is older than
// the cache lifetime.
func (m *KeyManager) keys(ctx context.Context) (*keySet, error) {
	m.mu.Lock()
	set := m.set
	m.mu.Unlock()
	if set != nil && m.now().Sub(set.loadedAt) < m.cacheTTL {
		return set, nil
	}
	return m.reload(ctx, m.cacheTTL)
}

// reload reads the key list from the store unless another caller loaded one
// less than maxAge ago while this one waited.
func (m *KeyManager) reload(ctx context.Context, maxAge time.Duration) (*keySet, error) {
	select {
	case m.loading <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("tokens: load signing keys: %w", ctx.Err())
	}
	defer func() { <-m.loading }()

	m.mu.Lock()
	previous := m.set
	m.mu.Unlock()
	now := m.now()
	if previous != nil && now.Sub(previous.loadedAt) < maxAge {
		return previous, nil
	}

	stored, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("tokens: list signing keys: %w", err)
	}
	set, err := newKeySet(m.kek, stored, previous, now)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.set = set
	m.mu.Unlock()
	return set, nil
}

func hasUnrevoked(keys []consentry.SigningKey) bool {
	for _, k := range keys {
		if k.RevokedAt == nil {
			return true
		}
	}
	return false
}

// newSigningKey generates an ES256 key whose kid is its RFC 7638 thumbprint
// and seals its PKCS #8 encoding under kek, with the kid as additional data.
func newSigningKey(kek []byte, now, activatesAt time.Time) (consentry.SigningKey, error) {
	private, kid, err := generateKey()
	if err != nil {
		return consentry.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(private)
	if err != nil {
		return consentry.SigningKey{}, fmt.Errorf("tokens: encode signing key: %w", err)
	}

	public := jose.JSONWebKey{Key: &private.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"}
	publicJSON, err := public.MarshalJSON()
	if err != nil {
		return consentry.SigningKey{}, fmt.Errorf("tokens: encode public key: %w", err)
	}

	sealed, err := Seal(kek, der, []byte(public.KeyID))
	if err != nil {
		return consentry.SigningKey{}, err
	}
	return consentry.SigningKey{
		ID:          public.KeyID,
		Algorithm:   string(jose.ES256),
		PrivateKey:  sealed,
		PublicKey:   publicJSON,
		CreatedAt:   now,
		ActivatesAt: activatesAt,
	}, nil
}

// errWrongKEK explains the usual cause of a signing key that does not decrypt.
var errWrongKEK = errors.New("the key-encryption key (CONSENTRY_KEY or CONSENTRY_KEY_FILE) " +
	"is not the one the signing keys were sealed with")

// Revoke withdraws the key with the given kid. Signature checks on other
// replicas accept the key until their key caches expire (KeyOptions.CacheTTL),
// but every replica reads the key's revocation with each token's record, so
// its tokens are refused at once. When no remaining key may sign, Revoke
// stores a replacement that signs at once and returns it. Resource servers
// that cached the key set must then fetch it again, which is less harmful
// than issuing no tokens at all.
func (m *KeyManager) Revoke(ctx context.Context, kid string) (*consentry.SigningKey, error) {
	if err := m.checkKeyEncryptionKey(ctx, kid); err != nil {
		return nil, err
	}
	now := m.now()
	if err := m.store.RevokeSigningKey(ctx, kid, now); err != nil {
		return nil, fmt.Errorf("tokens: revoke signing key: %w", err)
	}
	set, err := m.reload(ctx, 0)
	if err != nil {
		return nil, err
	}
	if set.signer(now) != nil {
		return nil, nil
	}
	key, err := newSigningKey(m.kek, now, now)
	if err != nil {
		return nil, err
	}
	if err := m.store.CreateSigningKey(ctx, key); err != nil {
		return nil, fmt.Errorf("tokens: create replacement signing key: %w", err)
	}
	if _, err := m.reload(ctx, 0); err != nil {
		return nil, err
	}
	return &key, nil
}

// checkKeyEncryptionKey returns an error wrapping consentry.ErrNotFound when
// no stored key has the id kid, and an error when m's key-encryption key
// opens no stored key, revoked ones included. With a mistyped key, Revoke
// would seal the replacement under a key that no replica can open. One key
// that opens is enough, so that a key sealed elsewhere can still be revoked.
func (m *KeyManager) checkKeyEncryptionKey(ctx context.Context, kid string) error {
	stored, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("tokens: list signing keys: %w", err)
	}
	found := false
	opened := false
	for _, record := range stored {
		found = found || record.ID == kid
		if !opened {
			_, err = Open(m.kek, record.PrivateKey, []byte(record.ID))
			opened = err == nil
		}
	}
	switch {
	case !found:
		return fmt.Errorf("tokens: revoke signing key %q: %w", kid, consentry.ErrNotFound)
	case !opened:
		return fmt.Errorf("tokens: revoke signing key %q: %w: %w", kid, err, errWrongKEK)
	}
	return nil
}

// RotateIfDue calls Rotate when the newest unrevoked key was created period
// or longer ago, and reports whether it did. Callers on several replicas
// must take turns, as the server's maintenance lease makes them, or each
// stores a key of its own.
func (m *KeyManager) RotateIfDue(ctx context.Context, period time.Duration) (bool, error) {
	stored, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return false, fmt.Errorf("tokens: list signing keys: %w", err)
	}
	var newest time.Time
	for _, k := range stored {
		if k.RevokedAt == nil && k.CreatedAt.After(newest) {
			newest = k.CreatedAt
		}
	}
	if !newest.IsZero() && m.now().Sub(newest) < period {
		return false, nil
	}
	if _, err := m.Rotate(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// generateKey returns a new P-256 key and its base64url RFC 7638 thumbprint.
// A thumbprint that starts with '-' is drawn again (1 key in 64), because an
// operator passes the kid as a command-line argument, where a leading '-'
// reads as a flag.
func generateKey() (*ecdsa.PrivateKey, string, error) {
	for {
		private, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, "", fmt.Errorf("tokens: generate signing key: %w", err)
		}
		public := jose.JSONWebKey{Key: &private.PublicKey}
		thumbprint, err := public.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, "", fmt.Errorf("tokens: signing key thumbprint: %w", err)
		}
		kid := base64.RawURLEncoding.EncodeToString(thumbprint)
		if kid[0] != '-' {
			return private, kid, nil
		}
	}
}
