package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNoticeFileNames(t *testing.T) {
	for name, want := range map[string]bool{
		"LICENSE": true, "LICENSE.md": true, "licence.txt": true, "COPYING": true, "NOTICE": true,
		"PATENTS": true, "LICENSE.libyaml": true, "license.go": false, "README.md": false, "go.mod": false,
	} {
		if got := noticeFile(name); got != want {
			t.Errorf("noticeFile(%q) = %v, want %v", name, got, want)
		}
	}
}

// A module without any licence file must stop the generation: it would otherwise ship in the
// binary with nothing said about its terms.
func TestModuleWithoutLicenceIsRefused(t *testing.T) {
	std, bare, good := t.TempDir(), t.TempDir(), t.TempDir()
	write := func(dir, name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(std, "LICENSE", "Go licence\r\n")
	write(good, "LICENSE.txt", "MIT licence\n\n")
	write(good, "license.go", "package x")
	write(bare, "README.md", "no licence here")

	if _, err := render([]module{{"example.com/bare", "v1.0.0", bare}}, std); err == nil || !strings.Contains(err.Error(), "example.com/bare@v1.0.0: no licence file") {
		t.Fatalf("render with an unlicensed module: err = %v, want one naming the module", err)
	}
	out, err := render([]module{{"example.com/good", "v1.2.3", good}}, std)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| example.com/good | v1.2.3 | LICENSE.txt |",
		"## example.com/good v1.2.3\n\n### LICENSE.txt\n\n```text\nMIT licence\n```\n",
		"```text\nGo licence\n```",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("notices lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "package x") {
		t.Error("a .go file was taken for a licence")
	}
}
