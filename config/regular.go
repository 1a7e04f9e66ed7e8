package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// errNotRegular and errTooLarge are what readRegular refuses a file for, so that a caller can
// add how to fix it.
var (
	errNotRegular = errors.New("not a regular file")
	errTooLarge   = errors.New("too large")
)

// refusal is readRegular's error for a file it will not read: it carries its own words and
// tells errors.Is which of the two refusals it is.
type refusal struct {
	msg    string
	reason error
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.reason }

// readRegular reads a regular file of at most limit bytes; what names the file in errors
// ("config file"). The size a file reports is not trusted (/dev/zero reports 0 and never
// ends), and the file is opened without blocking (a named pipe with no writer would block
// open(2) forever, hanging start, check and a reload): whatever is not a regular file is
// refused before anything is read. The info returned is that of the file read.
func readRegular(path string, limit int64, what string) ([]byte, fs.FileInfo, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the %s %s: %w", what, path, pathCause(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the %s %s: %w", what, path, pathCause(err))
	}
	if !info.Mode().IsRegular() {
		return nil, nil, &refusal{fmt.Sprintf("the %s %s is %s, not a regular file", what, path, fileKind(info.Mode())), errNotRegular}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the %s %s: %w", what, path, pathCause(err))
	}
	if int64(len(data)) > limit {
		return nil, nil, &refusal{fmt.Sprintf("the %s %s is larger than %d bytes", what, path, limit), errTooLarge}
	}
	return data, info, nil
}

// pathCause drops the operation and path of an *fs.PathError, which the caller's message
// already names, and keeps any other error whole.
func pathCause(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// fileKind names a file type that is not a regular file, for an error message.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file (mode " + m.String() + ")"
}
