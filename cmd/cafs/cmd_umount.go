package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	cfs "github.com/cafs/cafs/fs"
)

func (a *app) umountCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "umount MOUNTPOINT",
		Short: "Unmount a cafs mount (also one left dead by a killed process)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mnt := a.abs(args[0])
			if err := cfs.Unmount(mnt); err != nil {
				return err
			}
			if !a.json {
				fmt.Fprintf(a.stdout, "unmounted %s\n", mnt)
				return nil
			}
			return a.printJSON(map[string]string{"unmounted": mnt})
		},
	}
}

func (a *app) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status MOUNTPOINT",
		Short: "Print the live root of a mount (hex), as getfattr -n user.cafs.root does",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mnt := a.abs(args[0])
			buf := make([]byte, 128)
			n, err := unix.Getxattr(mnt, cfs.RootXattr, buf)
			if err != nil {
				return fmt.Errorf("%s: not a live cafs mount (%v)", mnt, err)
			}
			root := string(buf[:n])
			if a.json {
				return a.printJSON(map[string]string{"mountpoint": mnt, "root": root})
			}
			fmt.Fprintln(a.stdout, root)
			return nil
		},
	}
}
