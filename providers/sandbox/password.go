// Package sandbox signs end users in to the built-in test banks: it hashes
// their passwords with Argon2id and limits failed sign-ins per user and per
// remote address.
package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of new hashes: the OWASP Password Storage Cheat Sheet's
// baseline of 19 MiB of memory, 2 passes and 1 lane.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	saltSize       = 16
	keySize        = 32
)

// MaxPasswordSize is the longest password in bytes that can be hashed or
// signed in with.
const MaxPasswordSize = 1024

// Bounds on the parameters of a stored hash, so that a damaged or hostile
// row cannot make one sign-in take gigabytes or minutes.
const (
	maxMemoryKiB = 256 * 1024
	maxTime      = 16
	maxThreads   = 16
)

var b64 = base64.RawStdEncoding

// HashPassword returns an Argon2id hash of password in the PHC string format,
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>", with a random 16-byte salt
// and a 32-byte key.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("sandbox: hash password: password is empty")
	}
	if len(password) > MaxPasswordSize {
		return "", fmt.Errorf("sandbox: hash password: password is longer than %d bytes",
			MaxPasswordSize)
	}
	salt := make([]byte, saltSize)
	_, _ = rand.Read(salt)
	p := argonParams{memoryKiB: argonMemoryKiB, time: argonTime, threads: argonThreads}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, keySize)
	return p.format(salt, key), nil
}

// VerifyPassword reports whether password matches a hash made by
// HashPassword. The derived keys are compared in constant time. An error means
// the hash itself is malformed.
func VerifyPassword(hash, password string) (bool, error) {
	p, salt, key, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	derived := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads,
		uint32(len(key)))
	return subtle.ConstantTimeCompare(derived, key) == 1, nil
}

type argonParams struct {
	memoryKiB uint32
	time      uint32
	threads   uint8
}

func (p argonParams) format(salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.memoryKiB, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parseHash splits a PHC string into its parameters, salt and key, and
// rejects anything but Argon2id version 19 with parameters within bounds.
func parseHash(hash string) (argonParams, []byte, []byte, error) {
	fields := strings.Split(hash, "$")
	if len(fields) != 6 || fields[0] != "" || fields[1] != "argon2id" ||
		fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return argonParams{}, nil, nil, errors.New("sandbox: password hash is not argon2id v=19")
	}
	p, err := parseParams(fields[3])
	if err != nil {
		return argonParams{}, nil, nil, err
	}
	salt, err := b64.DecodeString(fields[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return argonParams{}, nil, nil, errors.New("sandbox: password hash has an invalid salt")
	}
	key, err := b64.DecodeString(fields[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return argonParams{}, nil, nil, errors.New("sandbox: password hash has an invalid key")
	}
	return p, salt, key, nil
}

// parseParams reads "m=<KiB>,t=<passes>,p=<lanes>" in that order.
func parseParams(text string) (argonParams, error) {
	invalid := fmt.Errorf("sandbox: password hash has invalid parameters %q", text)
	parts := strings.Split(text, ",")
	if len(parts) != 3 {
		return argonParams{}, invalid
	}
	var values [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		digits, ok := strings.CutPrefix(parts[i], name+"=")
		if !ok {
			return argonParams{}, invalid
		}
		value, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return argonParams{}, invalid
		}
		values[i] = value
	}
	p := argonParams{memoryKiB: uint32(values[0]), time: uint32(values[1])}
	if values[2] < 1 || values[2] > maxThreads || p.time < 1 || p.time > maxTime ||
		p.memoryKiB < 8*uint32(values[2]) || p.memoryKiB > maxMemoryKiB {
		return argonParams{}, invalid
	}
	p.threads = uint8(values[2])
	return p, nil
}
