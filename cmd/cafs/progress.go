package main

import (
	"time"

	"github.com/schollz/progressbar/v3"
)

// withProgress runs fn while a bar on stderr follows current(). It draws
// nothing unless stdout and stderr are terminals. total < 0 means unknown.
func (a *app) withProgress(desc string, total int64, bytes bool, current func() int64, fn func() error) error {
	if !a.interactive() {
		return fn()
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(bytes),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(150 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				bar.Set64(current())
			}
		}
	}()
	err := fn()
	close(done)
	bar.Clear()
	return err
}
