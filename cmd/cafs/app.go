package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cafs/cafs/snapshot"
)

// Exit codes (see `cafs --help`).
const (
	exitOK     = 0
	exitError  = 1
	exitUsage  = 2
	exitVerify = 3
)

// app is one invocation of the CLI. It holds no global state, so the same
// command tree can be run again in-process with other streams.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	repoDir        string
	json           bool
}

// run executes one command line and returns its exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "cafs: %s\n", oneLine(err))
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, snapshot.ErrVerify):
		return exitVerify
	}
	return exitError
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

// usageError marks a bad command line (exit status 2).
type usageError struct{ error }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "cafs",
		Short:         "Versioned, deduplicated, verifiable snapshots of directory trees",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.repoDir, "repo", "", "repository directory (default $CAFS_REPO, else ~/.local/share/cafs)")
	root.PersistentFlags().BoolVar(&a.json, "json", false, "print machine-readable JSON")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(a.snapshotCommand(), a.logCommand(), a.lsCommand(), a.catCommand(), a.diffCommand(),
		a.verifyCommand(), a.restoreCommand(), a.forgetCommand(), a.gcCommand(), a.indexCommand())
	return root
}

const rootLong = `cafs keeps every version of a directory tree immutable, deduplicated and
verifiable by one hash (its root), and gives any version back as plain files.

A REF names a snapshot: snap@<hex> (4 or more leading hex digits of its root),
a name given with 'cafs snapshot --name', or 'latest'.

EXIT STATUS
  0  success
  1  error (the message on stderr says which)
  2  bad command line
  3  cafs verify found problems`

func (a *app) open(ctx context.Context) (*snapshot.Repo, error) {
	dir := a.repoDir
	if dir == "" {
		dir = snapshot.DefaultDir()
	}
	return snapshot.Open(ctx, dir, snapshot.OpenOptions{})
}

// withRepo opens the repository, runs fn and closes it.
func (a *app) withRepo(ctx context.Context, fn func(*snapshot.Repo) error) error {
	r, err := a.open(ctx)
	if err != nil {
		return err
	}
	err = fn(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return err
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// interactive reports whether progress bars may be drawn: both stdout and
// stderr must be terminals.
func (a *app) interactive() bool {
	return isTerminal(a.stdout) && isTerminal(a.stderr)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s takes %d argument(s), got %d (see 'cafs %s --help')", cmd.Name(), n, len(args), cmd.Name())}
		}
		return nil
	}
}
