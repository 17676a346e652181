package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// readyEnv names the file descriptor on which a background mount tells the
// process that started it that it is serving.
const readyEnv = "CAFS_READY_FD"

// daemonize starts this same command line again in a new session, with its
// output in a log file, and returns once that process says the mount is
// ready (or fails with the error it printed).
func (a *app) daemonize(mnt string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	logPath := filepath.Join(os.TempDir(), fmt.Sprintf("cafs-mount-%d.log", os.Getpid()))
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), readyEnv+"=3")
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return err
	}
	pw.Close()
	var b [1]byte
	if n, _ := pr.Read(b[:]); n == 1 {
		pid := cmd.Process.Pid
		cmd.Process.Release()
		fmt.Fprintf(a.stdout, "mounted at %s in the background (pid %d, log %s)\n", mnt, pid, logPath)
		return nil
	}
	cmd.Wait()
	out, _ := os.ReadFile(logPath)
	os.Remove(logPath)
	msg := strings.TrimSpace(string(out))
	if i := strings.LastIndex(msg, "\n"); i >= 0 {
		msg = msg[i+1:]
	}
	return fmt.Errorf("background mount failed: %s", strings.TrimPrefix(msg, "cafs: "))
}

// signalReady tells whoever waits for this mount that it is serving: the
// forwarding client (inside a host) or the parent of a background mount.
func (a *app) signalReady() {
	if a.ready != nil {
		a.ready()
		return
	}
	if os.Getenv(readyEnv) == "" {
		return
	}
	os.Unsetenv(readyEnv)
	f := os.NewFile(3, "ready")
	f.Write([]byte{1})
	f.Close()
}
