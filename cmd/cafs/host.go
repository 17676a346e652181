package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// A host is the one process that has a repository open while it serves
// mounts (Badger admits one process per directory). It listens on a unix
// socket; every other cafs command on the same repository sends it its
// command line and runs inside it, on the shared Repo.
type host struct {
	repo    *snapshot.Repo
	ln      net.Listener
	mu      sync.Mutex
	mnts    map[string]*mounted // by absolute mountpoint
	closing bool                // set first thing by close: no new commands
	active  int                 // forwarded commands running
	wg      sync.WaitGroup
}

// request is what a forwarding client sends, as one JSON line.
type request struct {
	Args []string `json:"args"`
	Cwd  string   `json:"cwd"`
}

// socketPath is where the host of repo listens. Unix socket paths are short,
// so a long repository path falls back to a name derived from it in $TMPDIR.
func socketPath(repo string) string {
	p := filepath.Join(repo, "cafs.sock")
	if len(p) < 100 {
		return p
	}
	sum := sha256.Sum256([]byte(repo))
	return filepath.Join(os.TempDir(), "cafs-"+hex.EncodeToString(sum[:8])+".sock")
}

func newHost(repo *snapshot.Repo) (*host, error) {
	path := socketPath(repo.Dir())
	os.Remove(path)                                    // we hold the repository lock: any socket file is stale
	os.RemoveAll(filepath.Join(repo.Dir(), "staging")) // working copies of a crashed host
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	h := &host{repo: repo, ln: ln, mnts: map[string]*mounted{}}
	repo.SetLiveRoots(h.liveRoots)
	go h.serve()
	return h, nil
}

func (h *host) serve() {
	for {
		conn, err := h.ln.Accept()
		if err != nil {
			return
		}
		go h.handle(conn)
	}
}

// handle runs one forwarded command. The command is cancelled when the
// client goes away (Ctrl-C or SIGKILL of the client process).
func (h *host) handle(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	line, err := br.ReadBytes('\n')
	var req request
	if err == nil {
		err = json.Unmarshal(line, &req)
	}
	if err != nil {
		log.Printf("cafs host: bad request: %v", err)
		return
	}
	fw := &frameWriter{w: conn}
	if !h.admit() {
		fw.frame('b', nil) // going away: the client retries on its own
		return
	}
	defer h.done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { io.Copy(io.Discard, br); cancel() }()
	a := &app{stdin: eofReader{}, stdout: fw.stream('o'), stderr: fw.stream('e'), host: h, cwd: req.Cwd,
		ready: func() { fw.frame('r', nil) }}
	code := a.execute(ctx, req.Args)
	fw.frame('x', []byte{byte(code)})
}

// admit counts a command in, unless the host is closing.
func (h *host) admit() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.active++
	h.wg.Add(1)
	return true
}

func (h *host) done() {
	h.mu.Lock()
	h.active--
	h.mu.Unlock()
	h.wg.Done()
}

// closeWhenIdle waits until the host serves no mount and runs no forwarded
// command, then stops admitting new ones, so that a mount forwarded to it is
// never cut short by its own mount ending. A cancelled ctx (SIGINT or
// SIGTERM of the host process) ends the wait at once.
func (h *host) closeWhenIdle(ctx context.Context) {
	for {
		h.mu.Lock()
		if len(h.mnts) == 0 && h.active == 0 {
			h.closing = true
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// close stops taking commands, unmounts everything this host serves and
// stops listening. Commands already running are waited for by the caller.
func (h *host) close() {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	h.ln.Close()
	h.mu.Lock()
	var mnts []*mounted
	for _, m := range h.mnts {
		mnts = append(mnts, m)
	}
	h.mu.Unlock()
	for _, m := range mnts {
		m.unmount()
	}
	os.Remove(socketPath(h.repo.Dir()))
}

// add records m, just mounted at mnt. A mount this host served at mnt
// before may still be on its way out: 'cafs umount' unmounts in the kernel
// and returns before this process has seen its server stop, so a script
// that unmounts and mounts again at once lands here. The kernel mount of m
// succeeded, so the old one is gone there: wait for it to finish.
func (h *host) add(mnt string, m *mounted) error {
	h.mu.Lock()
	old := h.mnts[mnt]
	h.mu.Unlock()
	if old != nil {
		select {
		case <-old.exited:
		case <-time.After(lockWait):
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur := h.mnts[mnt]; cur != nil && !cur.hasExited() {
		return fmt.Errorf("%s is already mounted by this repository's host", mnt)
	}
	h.mnts[mnt] = m
	return nil
}

// remove forgets m, unless another mount has taken its place.
func (h *host) remove(mnt string, m *mounted) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.mnts[mnt] == m {
		delete(h.mnts, mnt)
	}
}

func (h *host) mount(mnt string) *mounted {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.mnts[mnt]
}

// writable reports whether any writable mount is live.
func (h *host) writable() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.mnts {
		if m.working != nil {
			return true
		}
	}
	return false
}

// liveRoots are the roots of every mount, which gc must keep.
func (h *host) liveRoots(ctx context.Context) []cas.ID {
	h.mu.Lock()
	mnts := make([]*mounted, 0, len(h.mnts))
	for _, m := range h.mnts {
		mnts = append(mnts, m)
	}
	h.mu.Unlock()
	var roots []cas.ID
	for _, m := range mnts {
		if root, err := m.root(ctx); err == nil && !root.IsZero() {
			roots = append(roots, root)
		}
	}
	return roots
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// errNoHost: the repository is locked and nobody answers on its socket, or
// the host that answered is going away.
var errNoHost = errors.New("no host")
