package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	host           *host  // set when this command runs inside the repository's host
	cwd            string // of the client, for a forwarded command
	ready          func() // tells a forwarding client that a mount is serving
}

// run executes one command line and returns its exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	return a.execute(ctx, args)
}

// execute runs args on a. When the repository is held by a host process
// (a mount is serving it), the command line is forwarded to that host. A
// lock with no host behind it may belong to a host that is just exiting, or
// to a short command: execute retries for lockWait before it gives up.
func (a *app) execute(ctx context.Context, args []string) int {
	deadline := time.Now().Add(lockWait)
	for {
		err := a.command(ctx, args)
		var fe forwardError
		if errors.As(err, &fe) {
			code, ferr := a.forward(ctx, fe.dir, args)
			if ferr == nil {
				return code
			}
			if errors.Is(ferr, errNoHost) && time.Now().Before(deadline) && ctx.Err() == nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			if !errors.Is(ferr, errNoHost) {
				err = ferr
			}
		}
		return a.exitCode(err)
	}
}

// lockWait is how long a command waits for a locked repository.
const lockWait = 3 * time.Second

func (a *app) command(ctx context.Context, args []string) error {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	return root.ExecuteContext(ctx)
}

func (a *app) exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(a.stderr, "cafs: %s\n", oneLine(err))
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
		a.verifyCommand(), a.restoreCommand(), a.forgetCommand(), a.gcCommand(), a.indexCommand(),
		a.mountCommand(), a.umountCommand(), a.statusCommand())
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

func (a *app) dir() string {
	if a.repoDir != "" {
		return a.abs(a.repoDir)
	}
	return snapshot.DefaultDir()
}

// forwardError says the repository is locked by a process that may be a
// host: execute then forwards the whole command line to it. It unwraps to
// the lock error, which is what the user sees when nobody answers.
type forwardError struct {
	dir string
	err error
}

func (e forwardError) Error() string { return e.err.Error() }
func (e forwardError) Unwrap() error { return e.err }

func (a *app) open(ctx context.Context) (*snapshot.Repo, error) {
	r, err := snapshot.Open(ctx, a.dir(), snapshot.OpenOptions{})
	if errors.Is(err, snapshot.ErrLocked) && a.host == nil {
		return nil, forwardError{dir: a.dir(), err: err}
	}
	return r, err
}

// withRepo runs fn on the repository: the host's shared one inside a host,
// else one opened (and closed) for this command.
func (a *app) withRepo(ctx context.Context, fn func(*snapshot.Repo) error) error {
	if a.host != nil {
		return fn(a.host.repo)
	}
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

// abs resolves a path argument against the client's working directory.
func (a *app) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	if a.cwd != "" {
		return filepath.Join(a.cwd, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
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
