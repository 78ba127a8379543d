package tokens_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/consentry/consentry/tokens"
)

func TestParseKeyEncryptionKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb, 0xef, 0x3e}, 11)[:32]
	valid := []struct {
		name string
		text string
	}{
		{"hex lower case", hex.EncodeToString(key)},
		{"hex upper case", strings.ToUpper(hex.EncodeToString(key))},
		{"base64 standard padded", base64.StdEncoding.EncodeToString(key)},
		{"base64 standard unpadded", base64.RawStdEncoding.EncodeToString(key)},
		{"base64url padded", base64.URLEncoding.EncodeToString(key)},
		{"base64url unpadded", base64.RawURLEncoding.EncodeToString(key)},
		{"trailing newline", hex.EncodeToString(key) + "\n"},
		{"surrounding whitespace", " \t" + base64.StdEncoding.EncodeToString(key) + "\r\n"},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tokens.ParseKeyEncryptionKey(tt.text)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !bytes.Equal(got, key) {
				t.Errorf("got %x, want %x", got, key)
			}
		})
	}

	invalid := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"whitespace only", " \n"},
		{"hex of 31 bytes", hex.EncodeToString(key[:31])},
		{"hex of 33 bytes", hex.EncodeToString(append(key, 1))},
		{"64 characters not hex", strings.Repeat("g", 64)},
		{"base64 of 31 bytes", base64.StdEncoding.EncodeToString(key[:31])},
		{"base64 of 33 bytes", base64.RawURLEncoding.EncodeToString(append(key, 1))},
		{"passphrase", "correct horse battery staple"},
		{"inner space", hex.EncodeToString(key[:16]) + " " + hex.EncodeToString(key[16:])},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tokens.ParseKeyEncryptionKey(tt.text)
			if err == nil {
				t.Fatal("got no error, want one")
			}
			secret := strings.TrimSpace(tt.text)
			if secret != "" && strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the key text", err)
			}
		})
	}
}

func TestDevKeyEncryptionKey(t *testing.T) {
	if got := len(tokens.DevKeyEncryptionKey); got != tokens.KeySize {
		t.Fatalf("got %d bytes, want %d", got, tokens.KeySize)
	}
	if _, err := tokens.Seal(tokens.DevKeyEncryptionKey, []byte("x"), nil); err != nil {
		t.Errorf("Seal with the development key: %v", err)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	plaintext := []byte("private key bytes")
	additional := []byte("kid-1")
	first, err := tokens.Seal(testKEK, plaintext, additional)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	second, err := tokens.Seal(testKEK, plaintext, additional)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if bytes.Equal(first, second) {
		t.Error("got equal ciphertexts for two seals, want different nonces")
	}
	if bytes.Contains(first, plaintext) {
		t.Error("ciphertext contains the plaintext")
	}
	got, err := tokens.Open(testKEK, first, additional)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !bytes.Equal(got, plaintext) {
		t.Errorf("got %q, want %q", got, plaintext)
	}
}

func TestOpenFails(t *testing.T) {
	additional := []byte("kid-1")
	sealed, err := tokens.Seal(testKEK, []byte("private key bytes"), additional)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	otherKEK := bytes.Repeat([]byte{7}, tokens.KeySize)

	tests := []struct {
		name       string
		kek        []byte
		sealed     []byte
		additional []byte
	}{
		{"wrong key", otherKEK, sealed, additional},
		{"wrong additional data", testKEK, sealed, []byte("kid-2")},
		{"missing additional data", testKEK, sealed, nil},
		{"tampered ciphertext", testKEK, tampered, additional},
		{"truncated", testKEK, sealed[:20], additional},
		{"empty", testKEK, nil, additional},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tokens.Open(tt.kek, tt.sealed, tt.additional)
			if !errors.Is(err, tokens.ErrDecryptionFailed) {
				t.Errorf("got error %v, want ErrDecryptionFailed", err)
			}
		})
	}
}

func TestSealRejectsKeyOfWrongSize(t *testing.T) {
	for _, size := range []int{0, 16, 31, 33} {
		if _, err := tokens.Seal(make([]byte, size), []byte("x"), nil); err == nil {
			t.Errorf("key of %d bytes: got no error, want one", size)
		}
	}
}
