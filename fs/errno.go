package fs

import (
	"context"
	"errors"
	"log"
	"os"
	"syscall"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// errNotSupported answers operations the format cannot represent.
var errNotSupported error = syscall.EOPNOTSUPP

// lookupError marks an error met while resolving a name: a blob missing
// from the store then means "no such entry" rather than an I/O error.
type lookupError struct{ err error }

func (e *lookupError) Error() string { return e.err.Error() }
func (e *lookupError) Unwrap() error { return e.err }

// asLookup wraps err (if any) as an error of a name lookup.
func asLookup(err error) error {
	if err == nil {
		return nil
	}
	return &lookupError{err: err}
}

// toErrno is the one place where errors become errno values. Internal code
// returns syscall.Errno values directly for POSIX conditions (EEXIST,
// ENOTEMPTY, EISDIR, ...); they pass through unchanged, as do errnos
// wrapped by os and syscall errors (ENOSPC from the staging file). Store
// and format errors map as follows:
//
//	snapshot.ErrNotExist             ENOENT
//	cas.ErrNotFound during a lookup  ENOENT
//	snapshot.ErrName                 EINVAL
//	context cancellation             EINTR
//	cas.ErrCorrupt, anything else    EIO, logged once
func toErrno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var errno syscall.Errno
	var le *lookupError
	switch {
	case errors.As(err, &errno):
		return errno
	case errors.Is(err, snapshot.ErrNotExist), errors.Is(err, os.ErrNotExist):
		return syscall.ENOENT
	case errors.As(err, &le) && errors.Is(err, cas.ErrNotFound):
		return syscall.ENOENT
	case errors.Is(err, snapshot.ErrName):
		return syscall.EINVAL
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return syscall.EINTR
	}
	log.Printf("cafs fs: %v", err)
	return syscall.EIO
}
