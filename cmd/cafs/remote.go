package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
)

// Frames from host to client: kind byte, u32 big-endian length, payload.
// 'o' stdout, 'e' stderr, 'r' ready (a mount is serving), 'x' exit code.
type frameWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (f *frameWriter) frame(kind byte, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hdr [5]byte
	hdr[0] = kind
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	if _, err := f.w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := f.w.Write(p)
	return err
}

type frameStream struct {
	f    *frameWriter
	kind byte
}

func (s frameStream) Write(p []byte) (int, error) {
	if err := s.f.frame(s.kind, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (f *frameWriter) stream(kind byte) io.Writer { return frameStream{f, kind} }

// forward sends this command line to the host of the repository and relays
// its output. Cancelling ctx (Ctrl-C) tells the host to cancel the command;
// its remaining output and exit code still arrive.
func (a *app) forward(ctx context.Context, repoDir string, args []string) (int, error) {
	conn, err := net.Dial("unix", socketPath(repoDir))
	if err != nil {
		return 0, errNoHost
	}
	defer conn.Close()
	cwd, _ := os.Getwd()
	req, _ := json.Marshal(request{Args: args, Cwd: cwd})
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return 0, errNoHost
	}
	stop := context.AfterFunc(ctx, func() { conn.(*net.UnixConn).CloseWrite() })
	defer stop()
	return a.relay(bufio.NewReader(conn))
}

func (a *app) relay(r *bufio.Reader) (int, error) {
	var hdr [5]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return exitError, fmt.Errorf("the process serving this repository went away")
		}
		p := make([]byte, binary.BigEndian.Uint32(hdr[1:]))
		if _, err := io.ReadFull(r, p); err != nil {
			return exitError, fmt.Errorf("the process serving this repository went away")
		}
		switch hdr[0] {
		case 'o':
			a.stdout.Write(p)
		case 'e':
			a.stderr.Write(p)
		case 'r':
			a.signalReady()
		case 'b':
			return 0, errNoHost
		case 'x':
			return int(p[0]), nil
		}
	}
}
