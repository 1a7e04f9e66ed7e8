package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// buildWithVersion builds the exporter with the version variables set the way the Makefile
// and goreleaser set them.
func buildWithVersion(t *testing.T, version, revision, date string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), exporterName)
	ldflags := "-X github.com/prometheus/common/version.Version=" + version +
		" -X github.com/prometheus/common/version.Revision=" + revision +
		" -X github.com/prometheus/common/version.Branch=main" +
		" -X github.com/prometheus/common/version.BuildDate=" + date
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "./cmd/"+exporterName)
	cmd.Dir = testbin.ModuleRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestVersionFlagPrintsVersionRevisionAndBuildDate(t *testing.T) {
	bin := buildWithVersion(t, "9.8.7-SNAPSHOT-abc1234", "abc1234", "2026-01-02T03:04:05Z")
	code, stdout, stderr := testbin.Run(t, 30*time.Second, bin, []string{"--version"})
	if code != 0 {
		t.Fatalf("--version exited %d: %s", code, stderr)
	}
	out := stdout + stderr
	for _, want := range []string{
		"certcentral_exporter, version 9.8.7-SNAPSHOT-abc1234 (branch: main, revision: abc1234)",
		"build date:       2026-01-02T03:04:05Z",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--version output lacks %q:\n%s", want, out)
		}
	}
}

// The packages ship the page --help-man writes: one title line with the version and the date,
// a NAME line apropos understands, every flag with its environment variable, and no groff
// warnings (the check lintian runs).
func TestManPage(t *testing.T) {
	bin := buildWithVersion(t, "9.8.7", "abc1234", "2026-01-02T03:04:05Z")
	code, page, stderr := testbin.Run(t, 30*time.Second, bin, []string{"--help-man"})
	if code != 0 {
		t.Fatalf("--help-man exited %d: %s", code, stderr)
	}
	lines := strings.Split(page, "\n")
	if want := `.TH CERTCENTRAL_EXPORTER 1 "2026-01-02" "certcentral_exporter 9.8.7" "User Commands"`; lines[0] != want {
		t.Errorf("title line %q, want %q", lines[0], want)
	}
	if want := `certcentral_exporter \- ` + exporterSummary; !strings.Contains(page, ".SH NAME\n"+want+"\n") {
		t.Errorf("no NAME section %q in:\n%s", want, page)
	}
	app := kingpin.New(exporterName, "")
	addFlags(app)
	for _, f := range app.Model().Flags {
		if !f.Hidden && !strings.Contains(page, "--"+f.Name+"=") && !strings.Contains(page, "--"+f.Name+`\fR`) {
			t.Errorf("the man page lacks --%s", f.Name)
		}
	}
	if !strings.Contains(page, "($CERTCENTRAL_API_KEY_FILE)") {
		t.Error("the man page does not name the flags' environment variables")
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff is not installed; the page's structure was checked above")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(page)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff -ww: %v\n%s", err, out)
	}
}

func TestModuleVersion(t *testing.T) {
	for _, tc := range []struct {
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.1.0"}}, true, "0.1.0"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261124193442-7f51f86a1b2c"}}, true, "0.0.0-20261124193442-7f51f86a1b2c"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, ""},
		{&debug.BuildInfo{}, true, ""},
		{nil, false, ""},
	} {
		if got := moduleVersion(tc.info, tc.ok); got != tc.want {
			t.Errorf("moduleVersion(%+v, %v) = %q, want %q", tc.info, tc.ok, got, tc.want)
		}
	}
}
