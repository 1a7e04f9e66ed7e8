// Package config loads the exporter's settings that need more than a flag: the API key.
package config

import (
	"errors"
	"fmt"
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

// readKeyFile reads the key file through readRegular: at most maxKeyFileBytes of a regular
// file, opened without blocking. Its refusals say how to fix them.
func readKeyFile(file string) ([]byte, fs.FileInfo, error) {
	data, info, err := readRegular(file, maxKeyFileBytes, "API key file")
	switch {
	case errors.Is(err, errNotRegular):
		return nil, nil, fmt.Errorf("%w: write the key into a file and point --certcentral.api-key-file at it", err)
	case errors.Is(err, errTooLarge):
		return nil, nil, fmt.Errorf("%w: an API key is a short line, is the path right?", err)
	}
	return data, info, err
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
