package listenaddr

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestWriteReplacesTheFileWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "addr")
	if err := Write(path, "127.0.0.1:1234"); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, "127.0.0.1:1234", "[::1]:5678"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "127.0.0.1:1234\n[::1]:5678\n" {
		t.Errorf("file = %q", b)
	}
	// No temporary file is left beside it.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the address file", len(entries))
	}
}

func TestWriteFailsWithContext(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "missing-dir", "addr"), "127.0.0.1:1")
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want a wrapped not-exist error", err)
	}
}

// TestReporterKeepsEveryListener: listeners of one server start concurrently; the file ends up
// listing each of them once.
func TestReporterKeepsEveryListener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "addr")
	r := NewReporter(path)
	var want []string
	var wg sync.WaitGroup
	for i := range 8 {
		addr := "127.0.0.1:" + strconv.Itoa(10000+i)
		want = append(want, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Add(addr); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := Wait(path, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("file lists %v, want %v", got, want)
	}
}

func TestWait(t *testing.T) {
	t.Run("written later", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "addr")
		go func() {
			time.Sleep(100 * time.Millisecond)
			_ = Write(path, "127.0.0.1:4321")
		}()
		got, err := Wait(path, 10*time.Second, func() bool { return false })
		if err != nil || !slices.Equal(got, []string{"127.0.0.1:4321"}) {
			t.Errorf("Wait = %v, %v", got, err)
		}
	})
	t.Run("process exited", func(t *testing.T) {
		_, err := Wait(filepath.Join(t.TempDir(), "addr"), 10*time.Second, func() bool { return true })
		if !errors.Is(err, ErrExited) {
			t.Errorf("err = %v, want ErrExited", err)
		}
	})
	t.Run("written, then exited", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "addr")
		if err := Write(path, "127.0.0.1:4321"); err != nil {
			t.Fatal(err)
		}
		if got, err := Wait(path, time.Second, func() bool { return true }); err != nil || len(got) != 1 {
			t.Errorf("Wait = %v, %v", got, err)
		}
	})
	t.Run("never written", func(t *testing.T) {
		_, err := Wait(filepath.Join(t.TempDir(), "addr"), 100*time.Millisecond, nil)
		if err == nil {
			t.Error("Wait returned without a file")
		}
	})
}
