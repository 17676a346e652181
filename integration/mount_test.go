package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A read-only mount is byte-for-byte the source tree for ordinary tools.
func TestMountReadOnly(t *testing.T) {
	requireFUSE(t)
	src, repo := t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree(), time.Unix(1_000_000_000, 0))
	os.Remove(filepath.Join(src, "dangling")) // tools below follow links
	ref := snap(t, repo, src, "--name", "ro")
	mnt := mountBG(t, repo, "ro")
	compareTrees(t, src, mnt)
	sh(t, mnt, "diff -r "+src+" .")
	sh(t, mnt, "cp -a . "+filepath.Join(t.TempDir(), "copy"))
	sh(t, mnt, "tar cf /dev/null .")
	sh(t, mnt, "grep -rq 'cafs compresses' sub")
	if a, b := sh(t, src, "find . | sort | xargs -d '\\n' sha256sum 2>/dev/null; true"), sh(t, mnt, "find . | sort | xargs -d '\\n' sha256sum 2>/dev/null; true"); a != b {
		t.Fatalf("sha256sum differs:\n%s\n%s", a, b)
	}
	if got := sh(t, mnt, "./run.sh"); got != "hi\n" {
		t.Fatalf("executable from the mount printed %q", got)
	}
	if got := xattrRoot(mnt); "snap@"+got != ref {
		t.Fatalf("xattr root %s, want %s", got, ref)
	}
	err := os.WriteFile(filepath.Join(mnt, "new"), []byte("x"), 0o644)
	if errnoOf(err) != syscall.EROFS {
		t.Fatalf("write on a read-only mount: %v, want EROFS", err)
	}
	// Other commands keep working while the mount holds the repository.
	if !strings.Contains(must(t, repo, "log"), ref[:17]) {
		t.Fatal("log through the host lacks the snapshot")
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "f"), []byte("while mounted"), 0o644)
	ref2 := snap(t, repo, other)
	mnt2 := mountBG(t, repo, ref2)
	if b, _ := os.ReadFile(filepath.Join(mnt2, "f")); string(b) != "while mounted" {
		t.Fatalf("second mount reads %q", b)
	}
	must(t, repo, "verify", "--data")
	must(t, repo, "umount", mnt)
	if isMounted(mnt) {
		t.Fatal("still mounted after cafs umount")
	}
}

// A script that unmounts and mounts again at once must not find the old
// mount still registered with its host (cafs umount returns before the host
// has seen its server stop), and the host must not unmount the new mount
// while it cleans up the old one.
func TestMountUmountMountAgain(t *testing.T) {
	requireFUSE(t)
	src, repo := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("again"), 0o644)
	snap(t, repo, src, "--name", "again")
	mnt := t.TempDir()
	t.Cleanup(func() { cafs(t, repo, "umount", mnt); waitUnlocked(t, repo) })
	for i := range 4 {
		must(t, repo, "mount", "--background", "again", mnt)
		time.Sleep(50 * time.Millisecond) // let a stale cleanup, if any, run
		if b, err := os.ReadFile(filepath.Join(mnt, "f")); string(b) != "again" {
			t.Fatalf("round %d: read %q, %v", i, b, err)
		}
		must(t, repo, "umount", mnt)
	}
}

// Foreground mounts unmount cleanly on SIGTERM; a SIGKILLed one leaves a dead
// mount that cafs detects and cafs umount clears.
func TestMountSignals(t *testing.T) {
	requireFUSE(t)
	src, repo := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644)
	snap(t, repo, src, "--name", "s")
	cmd, mnt := startMount(t, repo, "s")
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("mount after SIGTERM: %v", err)
	}
	if isMounted(mnt) {
		t.Fatal("SIGTERM left the mount in place")
	}
	cmd, mnt = startMount(t, repo, "s")
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(mnt, "f")); errnoOf(err) != syscall.ENOTCONN {
		t.Fatalf("stat on a dead mount: %v, want ENOTCONN", err)
	}
	fails(t, repo, "dead mount", "mount", "s", mnt)
	must(t, repo, "umount", mnt)
	startMount(t, repo, "s") // mountable again
	must(t, repo, "verify")
}

// The whole-repository view follows new snapshots.
func TestMountAll(t *testing.T) {
	requireFUSE(t)
	src, repo := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("one"), 0o644)
	snap(t, repo, src, "--name", "first")
	mnt := mountBG(t, repo, "--all")
	if b, err := os.ReadFile(filepath.Join(mnt, "snapshots/first/f")); err != nil || string(b) != "one" {
		t.Fatalf("snapshots/first/f: %q %v", b, err)
	}
	os.WriteFile(filepath.Join(src, "f"), []byte("two"), 0o644)
	ref := snap(t, repo, src)
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(mnt, "latest/f"))
		_, err := os.Stat(filepath.Join(mnt, "snapshots", strings.TrimPrefix(ref, "snap@")))
		if string(b) == "two" && err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("latest/f = %q and new snapshot dir: %v", b, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A writable mount's root after any sequence of changes is the root that
// cafs snapshot gives for a plain directory with the same content.
func TestMountWritable(t *testing.T) {
	requireFUSE(t)
	src, repo := t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree(), time.Unix(1_000_000_000, 0))
	snap(t, repo, src, "--name", "base")
	mnt := mountBG(t, repo, "--rw", "base")
	sh(t, mnt, `
		echo appended >> hello.txt
		printf 'x' | dd of=sub/deeper/big.bin bs=1 seek=1000000 conv=notrunc 2>/dev/null
		truncate -s 100000 sub/text.txt
		mkdir -p newdir/inner && echo new > newdir/inner/file
		mv a renamed_dir && mv run.sh renamed_dir/run.sh && chmod -x renamed_dir/run.sh
		chmod +x hello.txt
		rm empty && rmdir sub/emptydir
		ln -s newdir/inner/file newlink
		dd if=/dev/zero of=sparse bs=1 count=1 seek=5000000 2>/dev/null
		head -c 3000000 /dev/urandom > random.bin
	`)
	live := xattrRoot(mnt)
	if len(live) != 64 {
		t.Fatalf("xattr root %q", live)
	}
	if st := strings.TrimSpace(must(t, repo, "status", mnt)); st != live {
		t.Fatalf("status %s, xattr %s", st, live)
	}
	if _, err := exec.LookPath("getfattr"); err == nil {
		if got := sh(t, mnt, "getfattr --only-values -n user.cafs.root ."); got != live {
			t.Fatalf("getfattr gives %q, want %s", got, live)
		}
	}
	plain := filepath.Join(t.TempDir(), "plain")
	sh(t, mnt, "cp -a . "+plain)
	if want := snap(t, t.TempDir(), plain); "snap@"+live != want {
		t.Fatalf("writable mount root %s, plain directory root %s", live, want)
	}
	out := must(t, repo, "snapshot", mnt, "--name", "edited")
	if lastLine(out) != "snap@"+live || !strings.Contains(out, "live mount") {
		t.Fatalf("snapshot of the live mount: %s", out)
	}
	must(t, repo, "umount", mnt)
	dst := filepath.Join(t.TempDir(), "r")
	must(t, repo, "restore", "edited", dst)
	compareTrees(t, plain, dst)
	must(t, repo, "verify", "--data")
}

// An empty writable mount; fio with verification; remount read-only and verify again.
func TestMountFio(t *testing.T) {
	requireFUSE(t)
	if _, err := exec.LookPath("fio"); err != nil {
		t.Skip("fio not installed (.ci/run installs it)")
	}
	repo := t.TempDir()
	mnt := mountBG(t, repo, "--rw")
	job := "--name=v --directory=" + mnt + " --size=24m --bs=64k --rw=randwrite --ioengine=psync --direct=1 --verify=crc32c --do_verify=1 --numjobs=2"
	sh(t, mnt, "fio --output=/dev/null "+job)
	ref := lastLine(must(t, repo, "snapshot", mnt, "--name", "fio"))
	must(t, repo, "umount", mnt)
	ro := mountBG(t, repo, ref)
	verify := strings.Replace(job, "--rw=randwrite", "--rw=randread", 1) + " --verify_only"
	verify = strings.Replace(verify, "--directory="+mnt, "--directory="+ro, 1)
	if out, err := exec.Command("sh", "-c", "fio "+verify).CombinedOutput(); err != nil {
		t.Fatalf("fio verify on the read-only remount: %v\n%s", err, out)
	}
	must(t, repo, "verify", "--data")
}

// SIGKILL of the process serving a writable mount during writes loses no
// snapshot taken before and leaves a repository that verifies.
func TestMountCrash(t *testing.T) {
	requireFUSE(t)
	repo := t.TempDir()
	cmd, mnt := startMount(t, repo, "--rw")
	sh(t, mnt, "head -c 2000000 /dev/urandom > a && mkdir d && echo x > d/x")
	before := lastLine(must(t, repo, "snapshot", mnt, "--name", "before"))
	writer := exec.Command("sh", "-c", "i=0; while [ $i -lt 200 ]; do head -c 100000 /dev/urandom > f$i; i=$((i+1)); done")
	writer.Dir = mnt
	writer.Start()
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	writer.Wait()
	must(t, repo, "umount", mnt)
	must(t, repo, "verify", "--data")
	if got := must(t, repo, "cat", "before:d/x"); got != "x\n" || !strings.Contains(must(t, repo, "log"), before[:17]) {
		t.Fatalf("snapshot taken before the crash is damaged: %q", got)
	}
}
