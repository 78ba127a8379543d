package sandbox_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/consentry/consentry/providers/sandbox"
)

func TestHashPasswordFormat(t *testing.T) {
	hash, err := sandbox.HashPassword("demo")
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	prefix := "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(hash, prefix) {
		t.Fatalf("got %q, want prefix %q", hash, prefix)
	}
	fields := strings.Split(strings.TrimPrefix(hash, prefix), "$")
	if len(fields) != 2 {
		t.Fatalf("got %d fields after the parameters, want salt and key", len(fields))
	}
	for i, want := range []int{16, 32} {
		raw, err := base64.RawStdEncoding.DecodeString(fields[i])
		if err != nil || len(raw) != want {
			t.Errorf("field %q: got %d bytes (%v), want %d", fields[i], len(raw), err, want)
		}
	}
	again, err := sandbox.HashPassword("demo")
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if again == hash {
		t.Error("got the same hash twice, want a new salt each time")
	}
}

func TestHashPasswordRejects(t *testing.T) {
	tests := []struct {
		name     string
		password string
	}{
		{"empty", ""},
		{"over 1024 bytes", strings.Repeat("a", 1025)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if hash, err := sandbox.HashPassword(tt.password); err == nil {
				t.Errorf("got hash %q, want an error", hash)
			}
		})
	}
}

func TestVerifyPassword(t *testing.T) {
	long := strings.Repeat("é", 512) // 1024 bytes
	tests := []struct {
		name     string
		stored   string
		password string
		want     bool
	}{
		{"same password", "correct horse", "correct horse", true},
		{"other password", "correct horse", "correct horsE", false},
		{"empty password", "correct horse", "", false},
		{"prefix of password", "correct horse", "correct", false},
		{"1024-byte password", long, long, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, err := sandbox.HashPassword(tt.stored)
			if err != nil {
				t.Fatalf("HashPassword: %v", err)
			}
			got, err := sandbox.VerifyPassword(hash, tt.password)
			if err != nil {
				t.Fatalf("VerifyPassword: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVerifyPasswordReadsParameters(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("pw"), salt, 1, 64, 2, 24)
	hash := fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=2$%s$%s",
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	ok, err := sandbox.VerifyPassword(hash, "pw")
	if err != nil {
		t.Fatalf("VerifyPassword: %v", err)
	}
	if !ok {
		t.Error("got false for a hash with other parameters, want true")
	}
}

func TestVerifyPasswordMalformedHash(t *testing.T) {
	salt := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))
	key := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name string
		hash string
	}{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"parameters reordered", "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key},
		{"memory too large", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key},
		{"memory below 8 per lane", "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key},
		{"zero passes", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key},
		{"too many passes", "$argon2id$v=19$m=19456,t=100,p=1$" + salt + "$" + key},
		{"zero lanes", "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key},
		{"negative memory", "$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key},
		{"missing key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
		{"short key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$AAAA"},
		{"salt not base64", "$argon2id$v=19$m=19456,t=2,p=1$!!!!$" + key},
		{"extra field", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := sandbox.VerifyPassword(tt.hash, "pw")
			if err == nil || ok {
				t.Errorf("got %v and error %v, want false and an error", ok, err)
			}
		})
	}
}
