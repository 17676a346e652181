package snapshot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Ref errors.
var (
	ErrUnknownRef   = errors.New("snapshot: unknown ref")
	ErrAmbiguousRef = errors.New("snapshot: ambiguous ref")
	ErrBadName      = errors.New("snapshot: invalid snapshot name")
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// CheckName validates a snapshot name given with --name.
func CheckName(name string) error {
	if !nameRE.MatchString(name) || name == "latest" {
		return fmt.Errorf("%w %q: use letters, digits, '.', '_' and '-', not \"latest\"", ErrBadName, name)
	}
	return nil
}

// Resolve finds the record a ref names: "latest", "snap@<hex prefix>" (at
// least 4 digits of the root) or a snapshot name. Several records sharing one
// root resolve to the newest of them.
func (r *Repo) Resolve(ctx context.Context, ref string) (Record, error) {
	recs, err := r.Log(ctx)
	if err != nil {
		return Record{}, err
	}
	switch {
	case ref == "latest":
		if len(recs) == 0 {
			return Record{}, fmt.Errorf("%w %q: the repository has no snapshots", ErrUnknownRef, ref)
		}
		return recs[0], nil
	case strings.HasPrefix(ref, "snap@"):
		return resolvePrefix(ref, recs)
	}
	id, err := r.idx.Name(ctx, ref)
	if err != nil {
		if errorsIsNotFound(err) {
			return Record{}, unknownRef(ref, recs)
		}
		return Record{}, err
	}
	for _, rec := range recs {
		if rec.ID == id {
			return rec, nil
		}
	}
	return Record{}, unknownRef(ref, recs)
}

func resolvePrefix(ref string, recs []Record) (Record, error) {
	prefix := strings.ToLower(strings.TrimPrefix(ref, "snap@"))
	if len(prefix) < 4 || len(prefix) > 64 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return Record{}, fmt.Errorf("%w %q: want snap@ and 4 to 64 hex digits of a root", ErrUnknownRef, ref)
	}
	var match []Record // newest first, one per root
	for _, rec := range recs {
		if strings.HasPrefix(rec.Root.String(), prefix) && !containsRoot(match, rec) {
			match = append(match, rec)
		}
	}
	switch len(match) {
	case 0:
		return Record{}, unknownRef(ref, recs)
	case 1:
		return match[0], nil
	}
	return Record{}, fmt.Errorf("%w %q: matches %s", ErrAmbiguousRef, ref, candidates(match))
}

func containsRoot(recs []Record, rec Record) bool {
	for _, m := range recs {
		if m.Root == rec.Root {
			return true
		}
	}
	return false
}

func unknownRef(ref string, recs []Record) error {
	if len(recs) == 0 {
		return fmt.Errorf("%w %q: the repository has no snapshots", ErrUnknownRef, ref)
	}
	return fmt.Errorf("%w %q: candidates are %s", ErrUnknownRef, ref, candidates(recs))
}

// candidates names up to 10 records on one line.
func candidates(recs []Record) string {
	var parts []string
	for i, rec := range recs {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more (see `cafs log`)", len(recs)-10))
			break
		}
		s := "snap@" + rec.Root.String()[:12]
		if rec.Name != "" {
			s += " (" + rec.Name + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// SplitRefPath splits "REF:PATH" at the first colon; PATH may be empty.
func SplitRefPath(s string) (ref, path string) {
	ref, path, _ = strings.Cut(s, ":")
	return ref, strings.Trim(path, "/")
}
