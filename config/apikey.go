// Package config loads the exporter's settings that need more than a flag: the API key.
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// APIKeyEnv is the environment variable read when no key file is given.
const APIKeyEnv = "CERTCENTRAL_API_KEY"

// maxKeyFileBytes is all that is ever read of the key file: a key is a few dozen characters,
// and a wrong path (a log file, a binary, a device) must not be read whole.
const maxKeyFileBytes = 4096

// APIKey is a loaded key and where it came from. Source is safe to log; Value never is.
type APIKey struct {
	Value  string
	Source string // "file /path" or "environment CERTCENTRAL_API_KEY"
	// Warning is set when the key file can be read by other users.
	Warning string
}

// LoadAPIKey reads the key from file when file is set, else from the environment variable
// APIKeyEnv (through getenv). Surrounding white space and a trailing newline are trimmed; a
// key with white space inside is refused. No error text contains the key.
func LoadAPIKey(file string, getenv func(string) string) (APIKey, error) {
	var k APIKey
	if file != "" {
		data, info, err := readKeyFile(file)
		if err != nil {
			return k, err
		}
		k.Value, k.Source = strings.TrimSpace(string(data)), "file "+file
		k.Warning = permissionWarning(file, info.Mode().Perm(), ownedByCaller(info))
	} else {
		return loadKeyFromEnv(APIKeyEnv, getenv)
	}
	if err := certcentral.ValidateKey(k.Value); err != nil {
		return APIKey{}, fmt.Errorf("the API key from %s is not usable: %w", k.Source, err)
	}
	return k, nil
}

// loadKeyFromEnv reads the key from the environment variable name.
func loadKeyFromEnv(name string, getenv func(string) string) (APIKey, error) {
	k := APIKey{Value: strings.TrimSpace(getenv(name)), Source: "environment " + name}
	if k.Value == "" {
		if name == APIKeyEnv {
			return k, fmt.Errorf("no API key: set --certcentral.api-key-file (preferred) or the environment variable %s", APIKeyEnv)
		}
		return k, fmt.Errorf("no API key: the environment variable %s is empty or not set", name)
	}
	if err := certcentral.ValidateKey(k.Value); err != nil {
		return APIKey{}, fmt.Errorf("the API key from %s is not usable: %w", k.Source, err)
	}
	return k, nil
}

// readKeyFile reads at most maxKeyFileBytes of a regular file. The size a file reports is not
// trusted (/dev/zero reports 0 and never ends), nor is the file opened in a way that can block
// (a named pipe with no writer would hang the exporter at start): it is opened without
// blocking, and whatever is not a regular file is refused before anything is read.
func readKeyFile(file string) ([]byte, fs.FileInfo, error) {
	f, err := openNonBlocking(file)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the API key file %s: %w", file, errors.Unwrap(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the API key file %s: %w", file, errors.Unwrap(err))
	}
	if info.IsDir() {
		return nil, nil, fmt.Errorf("the API key file %s is a directory", file)
	}
	if !info.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("the API key file %s is %s, not a regular file: write the key into a file and point --certcentral.api-key-file at it", file, describeMode(info.Mode()))
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the API key file %s: %w", file, errors.Unwrap(err))
	}
	if len(data) > maxKeyFileBytes {
		return nil, nil, fmt.Errorf("the API key file %s is larger than %d bytes: an API key is a short line, is the path right?", file, maxKeyFileBytes)
	}
	return data, info, nil
}

// describeMode names a file type that is not a regular file.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// permissionWarning says when the key file can be read by users other than the exporter's.
// Read access for everyone always warns. Read access for the group warns only when the
// exporter owns the file: when it does not, the group bit is how the exporter itself reads
// the key, as with a Kubernetes secret mounted with mode 0440 and the pod's fsGroup, and
// there is nothing to fix.
func permissionWarning(file string, perm fs.FileMode, owned bool) string {
	switch {
	case perm&0o004 != 0:
		return fmt.Sprintf("the API key file %s is readable by every user (mode %s): chmod 600 it", file, perm)
	case perm&0o040 != 0 && owned:
		return fmt.Sprintf("the API key file %s is readable by its group (mode %s): consider chmod 600", file, perm)
	}
	return ""
}
