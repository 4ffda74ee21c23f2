package pkg

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// workDir holds the one .deb every test of the package reads.
var workDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "relayd-pkg-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	debPath   string
	buildErr  error
)

// buildDeb runs `make deb` once (the Makefile's own recipe, nfpm as a Go
// tool) into a temporary dist and returns the one .deb it wrote.
func buildDeb(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"dpkg-deb", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: the package test needs dpkg (Debian) and make", tool)
		}
	}
	buildOnce.Do(func() {
		dist := filepath.Join(workDir, "dist")
		cmd := exec.Command("make", "-C", "../..", "deb", "DIST="+dist, "STAGE="+filepath.Join(workDir, "stage"))
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("make deb: %v\n%s", err, out)
			return
		}
		debs, _ := filepath.Glob(filepath.Join(dist, "relayd_*.deb"))
		if len(debs) != 1 {
			buildErr = fmt.Errorf("make deb wrote %v to %s, want one relayd_*.deb", debs, dist)
			return
		}
		debPath = debs[0]
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return debPath
}

// run runs a command and returns its stdout; it fails the test with the
// output on a non-zero exit.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
