package tokens_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/consentry/consentry/tokens"
)

const (
	testIssuer   = "https://auth.example.com"
	testAudience = "https://api.example.com"
)

func testClaims(clock *fakeClock) tokens.AccessClaims {
	now := clock.Now()
	return tokens.AccessClaims{
		Issuer:    testIssuer,
		Subject:   "subject-1",
		ClientID:  "client-1",
		Audience:  testAudience,
		ID:        "jti-1",
		Scope:     "ACCOUNT_BASIC TRANSACTIONS",
		IssuedAt:  now,
		ExpiresAt: now.Add(300 * time.Second),
	}
}

func signTestToken(t *testing.T, m *tokens.KeyManager, clock *fakeClock) string {
	t.Helper()
	token, err := m.Sign(context.Background(), testClaims(clock))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return token
}

// decodeSegment decodes one base64url JSON part of a compact JWS.
func decodeSegment(t *testing.T, token string, index int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("got %d parts in %q, want 3", len(parts), token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[index])
	if err != nil {
		t.Fatalf("decode part %d: %v", index, err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatalf("parse part %d %s: %v", index, raw, err)
	}
	return fields
}

func tokenKeyID(t *testing.T, token string) string {
	t.Helper()
	kid, _ := decodeSegment(t, token, 0)["kid"].(string)
	return kid
}

func TestSignVerifyRoundTrip(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{})
	want := testClaims(clock)
	token := signTestToken(t, m, clock)

	header := decodeSegment(t, token, 0)
	wantHeader := map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": onlyKey(t, store).ID}
	if !maps.Equal(header, wantHeader) {
		t.Errorf("got header %v, want %v", header, wantHeader)
	}
	payload := decodeSegment(t, token, 1)
	wantPayload := map[string]any{
		"iss": testIssuer, "sub": "subject-1", "client_id": "client-1",
		"aud": testAudience, "jti": "jti-1", "scope": "ACCOUNT_BASIC TRANSACTIONS",
		"iat": float64(want.IssuedAt.Unix()), "exp": float64(want.ExpiresAt.Unix()),
	}
	if !maps.Equal(payload, wantPayload) {
		t.Errorf("got payload %v, want %v", payload, wantPayload)
	}

	got, err := m.Verify(context.Background(), token, testIssuer, testAudience)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("claims (-got +want):\n%s", diff)
	}
}

func TestSignRejectsIncompleteClaims(t *testing.T) {
	clock := newFakeClock()
	m := newManager(t, &memoryStore{}, clock, tokens.KeyOptions{})
	tests := []struct {
		name   string
		change func(*tokens.AccessClaims)
	}{
		{"missing iss", func(c *tokens.AccessClaims) { c.Issuer = "" }},
		{"missing sub", func(c *tokens.AccessClaims) { c.Subject = "" }},
		{"missing client_id", func(c *tokens.AccessClaims) { c.ClientID = "" }},
		{"missing aud", func(c *tokens.AccessClaims) { c.Audience = "" }},
		{"missing jti", func(c *tokens.AccessClaims) { c.ID = "" }},
		{"missing exp", func(c *tokens.AccessClaims) { c.ExpiresAt = time.Time{} }},
		{"exp before iat", func(c *tokens.AccessClaims) { c.ExpiresAt = c.IssuedAt.Add(-time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := testClaims(clock)
			tt.change(&claims)
			if token, err := m.Sign(context.Background(), claims); err == nil {
				t.Errorf("got token %q, want an error", token)
			}
		})
	}
}

// forge builds a compact JWS from header and claims, signed by sign.
func forge(header, claims map[string]any, sign func(input []byte) []byte) string {
	encode := func(v any) string {
		raw, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	input := encode(header) + "." + encode(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
}

func es256(key *ecdsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		digest := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
		if err != nil {
			panic(err)
		}
		return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
}

func hs256(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		mac := hmac.New(sha256.New, secret)
		mac.Write(input)
		return mac.Sum(nil)
	}
}

func unsigned([]byte) []byte { return nil }

// forgery holds what a test needs to build tokens the manager never signs.
type forgery struct {
	kid       string
	key       *ecdsa.PrivateKey
	publicJWK []byte
	now       time.Time
}

func (f forgery) header() map[string]any {
	return map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": f.kid}
}

func (f forgery) claims() map[string]any {
	return map[string]any{
		"iss": testIssuer, "sub": "subject-1", "client_id": "client-1", "aud": testAudience,
		"jti": "jti-1", "scope": "ACCOUNT_BASIC",
		"iat": f.now.Unix(), "exp": f.now.Add(300 * time.Second).Unix(),
	}
}

// withHeader forges a token signed by the stored key after edit changes the
// header.
func withHeader(edit func(map[string]any)) func(forgery) string {
	return func(f forgery) string {
		h := f.header()
		edit(h)
		return forge(h, f.claims(), es256(f.key))
	}
}

// withClaims forges a token signed by the stored key after edit changes the
// claims.
func withClaims(edit func(map[string]any)) func(forgery) string {
	return func(f forgery) string {
		c := f.claims()
		edit(c)
		return forge(f.header(), c, es256(f.key))
	}
}

func newForgery(t *testing.T, store *memoryStore, clock *fakeClock) forgery {
	t.Helper()
	stored := onlyKey(t, store)
	return forgery{
		kid:       stored.ID,
		key:       storedPrivateKey(t, store, stored.ID),
		publicJWK: stored.PublicKey,
		now:       clock.Now(),
	}
}

func TestVerifyAcceptsForgeryBaseline(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{})
	f := newForgery(t, store, clock)
	tests := []struct {
		name  string
		token string
	}{
		{"stored key", forge(f.header(), f.claims(), es256(f.key))},
		{"typ with media type prefix", withHeader(func(h map[string]any) {
			h["typ"] = "application/at+jwt"
		})(f)},
		{"typ in upper case", withHeader(func(h map[string]any) { h["typ"] = "AT+JWT" })(f)},
		{"aud array", withClaims(func(c map[string]any) {
			c["aud"] = []string{"https://other.example.com", testAudience}
		})(f)},
		{"iat within clock skew", withClaims(func(c map[string]any) {
			c["iat"] = f.now.Add(60 * time.Second).Unix()
		})(f)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := m.Verify(context.Background(), tt.token, testIssuer, testAudience); err != nil {
				t.Errorf("got error %v, want none", err)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{CacheTTL: time.Hour})
	f := newForgery(t, store, clock)

	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherManager := newManager(t, &memoryStore{}, clock, tokens.KeyOptions{})
	otherStoreToken := signTestToken(t, otherManager, clock)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	publicDER, _ := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
	valid := forge(f.header(), f.claims(), es256(f.key))
	parts := strings.Split(valid, ".")

	tests := []struct {
		name  string
		token func(forgery) string
	}{
		{"key of another store", func(forgery) string { return otherStoreToken }},
		{"unknown key under stored kid", func(f forgery) string {
			return forge(f.header(), f.claims(), es256(otherKey))
		}},
		{"alg none", func(f forgery) string {
			h := f.header()
			h["alg"] = "none"
			return forge(h, f.claims(), unsigned)
		}},
		{"HS256 keyed with public JWK", func(f forgery) string {
			h := f.header()
			h["alg"] = "HS256"
			return forge(h, f.claims(), hs256(f.publicJWK))
		}},
		{"HS256 keyed with public DER", func(f forgery) string {
			h := f.header()
			h["alg"] = "HS256"
			return forge(h, f.claims(), hs256(publicDER))
		}},
		{"EdDSA alg on ES256 key", func(f forgery) string {
			h := f.header()
			h["alg"] = "EdDSA"
			return forge(h, f.claims(), func(in []byte) []byte { return ed25519.Sign(edKey, in) })
		}},
		{"ES384 alg", withHeader(func(h map[string]any) { h["alg"] = "ES384" })},
		{"missing kid", withHeader(func(h map[string]any) { delete(h, "kid") })},
		{"unknown kid", withHeader(func(h map[string]any) { h["kid"] = "no-such-key" })},
		{"typ JWT", withHeader(func(h map[string]any) { h["typ"] = "JWT" })},
		{"missing typ", withHeader(func(h map[string]any) { delete(h, "typ") })},
		{"typ not a string", withHeader(func(h map[string]any) { h["typ"] = 1 })},
		{"critical header", withHeader(func(h map[string]any) {
			h["crit"] = []string{"exp"}
			h["exp"] = 1
		})},
		{"wrong iss", withClaims(func(c map[string]any) { c["iss"] = "https://evil.example.com" })},
		{"missing iss", withClaims(func(c map[string]any) { delete(c, "iss") })},
		{"wrong aud", withClaims(func(c map[string]any) { c["aud"] = "https://other.example.com" })},
		{"missing aud", withClaims(func(c map[string]any) { delete(c, "aud") })},
		{"expired", withClaims(func(c map[string]any) { c["exp"] = f.now.Add(-time.Second).Unix() })},
		{"expires now", withClaims(func(c map[string]any) { c["exp"] = f.now.Unix() })},
		{"missing exp", withClaims(func(c map[string]any) { delete(c, "exp") })},
		{"exp not a number", withClaims(func(c map[string]any) { c["exp"] = "tomorrow" })},
		{"iat in the future", withClaims(func(c map[string]any) {
			c["iat"] = f.now.Add(61 * time.Second).Unix()
		})},
		{"missing iat", withClaims(func(c map[string]any) { delete(c, "iat") })},
		{"nbf in the future", withClaims(func(c map[string]any) {
			c["nbf"] = f.now.Add(120 * time.Second).Unix()
		})},
		{"missing jti", withClaims(func(c map[string]any) { delete(c, "jti") })},
		{"missing sub", withClaims(func(c map[string]any) { delete(c, "sub") })},
		{"missing client_id", withClaims(func(c map[string]any) { delete(c, "client_id") })},
		{"scope not a string", withClaims(func(c map[string]any) { c["scope"] = []string{"a"} })},
		{"tampered payload", func(f forgery) string {
			c := f.claims()
			c["sub"] = "subject-2"
			raw, _ := json.Marshal(c)
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(raw) + "." + parts[2]
		}},
		{"tampered signature", func(forgery) string {
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			sig[10] ^= 1
			return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
		}},
		{"signature removed", func(forgery) string { return parts[0] + "." + parts[1] + "." }},
		{"JSON serialization", func(forgery) string {
			return `{"protected":"` + parts[0] + `","payload":"` + parts[1] +
				`","signature":"` + parts[2] + `"}`
		}},
		{"payload not JSON", func(f forgery) string {
			input := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("hello"))
			return input + "." + base64.RawURLEncoding.EncodeToString(es256(f.key)([]byte(input)))
		}},
		{"empty", func(forgery) string { return "" }},
		{"one word", func(forgery) string { return "garbage" }},
		{"three dots", func(forgery) string { return "a.b.c" }},
		{"two parts", func(forgery) string { return parts[0] + "." + parts[1] }},
		{"four parts", func(forgery) string { return valid + ".x" }},
		{"bad base64", func(forgery) string { return "!!!." + parts[1] + "." + parts[2] }},
		{"oversized", func(forgery) string { return valid + strings.Repeat("A", 9000) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token(f)
			got, err := m.Verify(context.Background(), token, testIssuer, testAudience)
			if !errors.Is(err, tokens.ErrInvalidToken) {
				t.Errorf("got claims %+v and error %v, want ErrInvalidToken", got, err)
			}
		})
	}
}

func TestVerifyRevokedKey(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{CacheTTL: -1})
	token := signTestToken(t, m, clock)
	if _, err := m.Verify(context.Background(), token, testIssuer, testAudience); err != nil {
		t.Fatalf("Verify before revocation: %v", err)
	}
	revoked := onlyKey(t, store).ID
	if err := store.RevokeSigningKey(context.Background(), revoked, clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := m.Verify(context.Background(), token, testIssuer, testAudience)
	if !errors.Is(err, tokens.ErrInvalidToken) {
		t.Errorf("got error %v after revocation, want ErrInvalidToken", err)
	}
	if _, err := m.Sign(context.Background(), testClaims(clock)); err == nil {
		t.Error("Sign after revocation: got no error, want one")
	}
}

func TestVerifyRevokedKeyAfterCacheLifetime(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{CacheTTL: 5 * time.Second})
	token := signTestToken(t, m, clock)
	revoked := onlyKey(t, store).ID
	if err := store.RevokeSigningKey(context.Background(), revoked, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(context.Background(), token, testIssuer, testAudience); err != nil {
		t.Errorf("got error %v within the cache lifetime, want the cached key to verify", err)
	}
	clock.Advance(5 * time.Second)
	_, err := m.Verify(context.Background(), token, testIssuer, testAudience)
	if !errors.Is(err, tokens.ErrInvalidToken) {
		t.Errorf("got error %v after the cache lifetime, want ErrInvalidToken", err)
	}
}

func TestVerifyUnknownKidReloadsOnce(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	verifier := newManager(t, store, clock, tokens.KeyOptions{CacheTTL: time.Hour})
	signer := newManager(t, store, clock, tokens.KeyOptions{CacheTTL: time.Hour})

	// The signer's replica rotates; the verifier's cached list lacks the key.
	if _, err := signer.Rotate(context.Background()); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	clock.Advance(tokens.RotationLead)
	token := signTestToken(t, signer, clock)
	before := store.listCalls()
	if _, err := verifier.Verify(context.Background(), token, testIssuer, testAudience); err != nil {
		t.Fatalf("Verify with a key stored after the last load: %v", err)
	}
	if got := store.listCalls() - before; got != 1 {
		t.Errorf("got %d store reads, want 1", got)
	}

	// Unknown kids right after that reload cause no further reads.
	before = store.listCalls()
	bogus := withHeader(func(h map[string]any) { h["kid"] = "no-such-key" })(
		newForgeryFor(t, store, clock, tokenKeyID(t, token)))
	for range 20 {
		_, err := verifier.Verify(context.Background(), bogus, testIssuer, testAudience)
		if !errors.Is(err, tokens.ErrInvalidToken) {
			t.Fatalf("got error %v, want ErrInvalidToken", err)
		}
	}
	if got := store.listCalls() - before; got != 0 {
		t.Errorf("got %d store reads for unknown kids right after a reload, want 0", got)
	}
	clock.Advance(time.Second)
	_, _ = verifier.Verify(context.Background(), bogus, testIssuer, testAudience)
	if got := store.listCalls() - before; got != 1 {
		t.Errorf("got %d store reads a second later, want 1", got)
	}
}

func newForgeryFor(t *testing.T, store *memoryStore, clock *fakeClock, kid string) forgery {
	t.Helper()
	return forgery{kid: kid, key: storedPrivateKey(t, store, kid), now: clock.Now()}
}

func TestVerifyRequiresIssuerAndAudience(t *testing.T) {
	clock := newFakeClock()
	m := newManager(t, &memoryStore{}, clock, tokens.KeyOptions{})
	token := signTestToken(t, m, clock)
	for _, args := range [][2]string{{"", testAudience}, {testIssuer, ""}} {
		_, err := m.Verify(context.Background(), token, args[0], args[1])
		if err == nil || errors.Is(err, tokens.ErrInvalidToken) {
			t.Errorf("issuer %q, audience %q: got error %v, want a usage error", args[0], args[1], err)
		}
	}
}

// TestVerifyKeyStoredRightAfterLoad checks that a key list loaded a moment
// before another replica stored a key does not hide that key: the reload for
// an unknown kid is limited on its own, not by the age of the list.
func TestVerifyKeyStoredRightAfterLoad(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	verifier := newManager(t, store, clock, tokens.KeyOptions{CacheTTL: time.Hour})
	signer := newManager(t, store, clock, tokens.KeyOptions{CacheTTL: time.Hour})

	first := tokenKeyID(t, signTestToken(t, signer, clock))
	replacement, err := signer.Revoke(context.Background(), first)
	if err != nil || replacement == nil {
		t.Fatalf("Revoke: got %v, %v, want a replacement", replacement, err)
	}
	token := signTestToken(t, signer, clock)
	if _, err := verifier.Verify(context.Background(), token, testIssuer, testAudience); err != nil {
		t.Fatalf("Verify a token of a key stored right after this replica loaded its list: %v", err)
	}
}
