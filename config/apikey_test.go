package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const secret = "Cfg7SecretKey0123456789ABCDEFabcdef"

func writeKey(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is filtered by the umask
		t.Fatal(err)
	}
	return path
}

// notExistText is the operating system's words for a missing file (they differ on Windows),
// so that the row checks the whole message everywhere.
func notExistText(t *testing.T, path string) string {
	t.Helper()
	_, err := os.Open(path)
	pe, ok := errors.AsType[*fs.PathError](err)
	if !ok || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("opening %s: %v, want a missing file", path, err)
	}
	return pe.Err.Error()
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadAPIKeyFromFile(t *testing.T) {
	for _, tt := range []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
		warning string // substring; "" means no warning
	}{
		{"trailing newline", secret + "\n", 0o600, secret, ""},
		{"CRLF and surrounding blanks", "  \t" + secret + " \r\n\n", 0o600, secret, ""},
		{"owner read-only", secret, 0o400, secret, ""},
		{"readable by everyone", secret + "\n", 0o644, secret, "readable by every user (mode -rw-r--r--): chmod 600 it"},
		{"readable by the group", secret + "\n", 0o640, secret, "readable by its group (mode -rw-r-----)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeKey(t, tt.content, tt.mode)
			// The environment is ignored when a file is given.
			k, err := LoadAPIKey(path, env(map[string]string{APIKeyEnv: "OtherKeyFromEnv"}))
			if err != nil {
				t.Fatal(err)
			}
			if k.Value != tt.want {
				t.Errorf("value %q, want %q", k.Value, tt.want)
			}
			if k.Source != "file "+path {
				t.Errorf("source %q", k.Source)
			}
			if tt.warning == "" && k.Warning != "" {
				t.Errorf("unexpected warning %q", k.Warning)
			}
			if tt.warning != "" && !strings.Contains(k.Warning, tt.warning) {
				t.Errorf("warning %q, want it to contain %q", k.Warning, tt.warning)
			}
			if strings.Contains(k.Warning, secret) || strings.Contains(k.Source, secret) {
				t.Error("the warning or the source names the key")
			}
		})
	}
}

func TestLoadAPIKeyFromEnv(t *testing.T) {
	k, err := LoadAPIKey("", env(map[string]string{APIKeyEnv: " " + secret + "\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if k.Value != secret || k.Source != "environment "+APIKeyEnv || k.Warning != "" {
		t.Errorf("got %+v", k)
	}
}

func TestLoadAPIKeyErrors(t *testing.T) {
	dir := t.TempDir()
	big := writeKey(t, strings.Repeat(secret, 200), 0o600)
	absent := filepath.Join(dir, "absent")
	type row struct {
		name string
		file string
		env  map[string]string
		want string
	}
	rows := []row{
		{"no key at all", "", nil, "no API key: set --certcentral.api-key-file (preferred) or the environment variable CERTCENTRAL_API_KEY"},
		{"blank environment variable", "", map[string]string{APIKeyEnv: " \n"}, "no API key"},
		{"missing file", absent, nil, "cannot read the API key file " + absent + ": " + notExistText(t, absent)},
		{"empty file", writeKey(t, "", 0o600), nil, "is not usable: the API key is empty"},
		{"file of blanks", writeKey(t, " \n\n", 0o600), nil, "is not usable: the API key is empty"},
		{"directory", dir, nil, "is a directory"},
		{"inner space", writeKey(t, secret[:10]+" "+secret[10:]+"\n", 0o600), nil, "contains white space: copy it again from CertCentral (Automation > API Keys) as one piece"},
		{"two lines", writeKey(t, secret+"\n"+secret+"\n", 0o600), nil, "contains white space"},
		{"inner space in env", "", map[string]string{APIKeyEnv: secret[:10] + "\t" + secret[10:]}, "the API key from environment CERTCENTRAL_API_KEY is not usable: the API key contains white space"},
		{"control character", writeKey(t, secret+"\x00", 0o600), nil, "cannot be sent in an HTTP header"},
		{"non-ASCII", writeKey(t, secret+"é", 0o600), nil, "cannot be sent in an HTTP header"},
		{"huge file", big, nil, "an API key is a short line, is the path right?"},
	}
	// /dev/zero reports a size of 0 and never ends: it grew the exporter to 3.6 GB. A named
	// pipe with no writer made check hang at start.
	for _, sf := range specialFiles(t, dir) {
		rows = append(rows, row{sf.name, sf.path, nil, "the API key file " + sf.path + " is " + sf.kind + ", not a regular file: write the key into a file"})
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			type loaded struct {
				k   APIKey
				err error
			}
			done := make(chan loaded, 1)
			go func() {
				k, err := LoadAPIKey(tt.file, env(tt.env))
				done <- loaded{k, err}
			}()
			var k APIKey
			var err error
			select {
			case l := <-done:
				k, err = l.k, l.err
			case <-time.After(5 * time.Second):
				t.Fatalf("LoadAPIKey(%s) has not returned after 5 s", tt.file)
			}
			if err == nil {
				t.Fatalf("no error, got key source %q", k.Source)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			// Neither the key nor a piece of it may be in the message.
			for _, part := range []string{secret, secret[:10], secret[10:]} {
				if strings.Contains(err.Error(), part) {
					t.Errorf("the error repeats (part of) the key: %q", err)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the error is not one line: %q", err)
			}
			if k.Value != "" {
				t.Error("a value is returned with the error")
			}
		})
	}
}

func TestPermissionWarning(t *testing.T) {
	for _, tt := range []struct {
		perm  os.FileMode
		owned bool
		want  string // substring; "" means no warning
	}{
		{0o600, true, ""},
		{0o400, false, ""},
		{0o644, true, "readable by every user"},
		{0o444, false, "readable by every user"},
		{0o640, true, "readable by its group"},
		// A Kubernetes secret with fsGroup: root owns it, the exporter reads it through its group.
		{0o440, false, ""},
	} {
		got := permissionWarning("/k", tt.perm, tt.owned)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("permissionWarning(%s, owned=%v) = %q, want %q", tt.perm, tt.owned, got, tt.want)
		}
	}
}
