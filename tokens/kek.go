package tokens

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length in bytes of a key-encryption key (AES-256).
const KeySize = 32

// ErrDecryptionFailed means that sealed data could not be opened: the
// key-encryption key or the additional data differs from the ones used to seal
// it, or the data was altered.
var ErrDecryptionFailed = errors.New("decryption failed")

// DevKeyEncryptionKey is a fixed key-encryption key for development servers
// only. It is derived from a public string, so anyone can decrypt the signing
// keys it protects.
var DevKeyEncryptionKey = devKey()

func devKey() []byte {
	sum := sha256.Sum256([]byte("consentry development key-encryption key, not secret"))
	return sum[:]
}

// ParseKeyEncryptionKey decodes a key-encryption key of exactly 32 bytes,
// written as 64 hex digits or in base64 (standard or URL alphabet, with or
// without padding). Surrounding whitespace, such as a file's final line
// ending, is ignored. Errors never contain the text, which is a secret.
func ParseKeyEncryptionKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, errors.New("tokens: key-encryption key is empty: " +
			"write 32 random bytes as 64 hex digits or in base64")
	}
	if len(text) == 2*KeySize {
		if key, err := hex.DecodeString(text); err == nil {
			return key, nil
		}
	}
	encodings := []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	}
	for _, enc := range encodings {
		key, err := enc.DecodeString(text)
		if err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("tokens: invalid key-encryption key of %d characters: "+
		"want 32 bytes written as 64 hex digits or in base64 (43 or 44 characters)", len(text))
}

// Seal encrypts plaintext with AES-256-GCM under kek and returns a random
// 12-byte nonce followed by the ciphertext and its tag. additionalData is
// authenticated but not encrypted: Open needs the same value, which binds the
// ciphertext to its context (a signing key's id), so that it cannot be moved
// to another row.
func Seal(kek, plaintext, additionalData []byte) ([]byte, error) {
	aead, err := newAEAD(kek)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	_, _ = rand.Read(nonce)
	return aead.Seal(nonce, nonce, plaintext, additionalData), nil
}

// Open decrypts what Seal returned. It fails with ErrDecryptionFailed when
// kek or additionalData differ from the ones used by Seal or sealed was altered.
func Open(kek, sealed, additionalData []byte) ([]byte, error) {
	aead, err := newAEAD(kek)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("tokens: open: sealed data too short: %w", ErrDecryptionFailed)
	}
	nonce, ciphertext := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
	plaintext, err := aead.Open(nil, nonce, ciphertext, additionalData)
	if err != nil {
		return nil, fmt.Errorf("tokens: open: %w", ErrDecryptionFailed)
	}
	return plaintext, nil
}

func newAEAD(kek []byte) (cipher.AEAD, error) {
	if len(kek) != KeySize {
		return nil, fmt.Errorf("tokens: key-encryption key has %d bytes, want %d", len(kek), KeySize)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("tokens: key-encryption key: %w", err)
	}
	return cipher.NewGCM(block)
}
