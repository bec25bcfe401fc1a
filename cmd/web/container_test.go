package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// podman runs podman with the flags these machines need (runc; crun fails on their cgroups) and returns its
// output.
func podman(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("podman", append([]string{"--runtime", "runc"}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestContainerImage builds the image from a binary built here (the Dockerfile's "prebuilt" stage, FROM
// scratch), runs it as it would run in production (read-only root filesystem, /data on a named volume, the
// image's own user and health check), posts a comment, restarts the container and finds the comment, waits for
// the health check to say healthy, and stops it with SIGTERM (exit code 0).
func TestContainerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("container test skipped with -short (make test-short)")
	}
	t.Parallel()
	if _, err := exec.LookPath("podman"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("podman is not installed in CI: the image test must run there")
		}
		t.Skip("podman not installed; skipping the image test (apt-get install podman runc)")
	}
	if os.Getuid() != 0 {
		t.Skip("the image test runs containers as root")
	}
	ctxDir := t.TempDir()
	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), dockerfile, 0o644)
	os.MkdirAll(filepath.Join(ctxDir, "dist-docker", "data"), 0o755)
	bin, _ := os.ReadFile(binary(t))
	if err := os.WriteFile(filepath.Join(ctxDir, "dist-docker", "web"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("blog-test-%d", os.Getpid())
	image := "localhost/" + name + ":latest"
	// One image and no intermediate ones (--layers=false), labelled with the test's own name, so that what
	// this build made can be found and removed without touching the images of builds running beside it.
	label := "blog.test=" + name
	if out, err := podman(t, "build", "--format", "docker", "--layers=false", "--label", label,
		"--build-arg", "BINARY=prebuilt", "-t", image, ctxDir); err != nil {
		t.Fatalf("podman build: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		// Nothing of the build stays behind.
		podman(t, "rmi", "-f", image)
		for _, id := range imageIDs(t, "--filter", "label="+label) {
			podman(t, "rmi", "-f", id)
		}
		if left := imageIDs(t, "--filter", "label="+label); len(left) > 0 {
			t.Errorf("the build left images %v behind", left)
		}
	})
	size, _ := podman(t, "image", "inspect", "--format", "{{.Size}}", image)
	if n, err := strconv.ParseFloat(size, 64); err == nil {
		t.Logf("image size: %.1f MiB", n/(1<<20))
	}
	if user, _ := podman(t, "image", "inspect", "--format", "{{.Config.User}}", image); user != "65532:65532" {
		t.Errorf("image user %q, want 65532:65532", user)
	}

	addr := freeAddr(t)
	port := addr[strings.LastIndex(addr, ":")+1:]
	base := "http://127.0.0.1:" + port
	volume := name + "-data"
	t.Cleanup(func() {
		podman(t, "rm", "-f", name)
		podman(t, "volume", "rm", "-f", volume)
	})
	if out, err := podman(t, "run", "-d", "--name", name, "--network", "host", "--read-only",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "-v", volume+":/data", "-e", "PORT="+port,
		"-e", "SPAM_MIN_SECONDS=0", image); err != nil {
		t.Fatalf("podman run: %v\n%s", err, out)
	}
	waitUp(t, base)
	if resp := newVisitor(t).comment(t, base, "hello-world", "Boxed", "box@example.com", "Written inside the container"); resp.StatusCode != 303 {
		logs, _ := podman(t, "logs", name)
		t.Fatalf("comment: %d\n%s", resp.StatusCode, logs)
	}

	// A restart (SIGTERM, then start again) keeps the comment: it lives on the volume.
	start := time.Now()
	if out, err := podman(t, "stop", "-t", "10", name); err != nil {
		t.Fatalf("podman stop: %v\n%s", err, out)
	}
	t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	if code, _ := podman(t, "inspect", "--format", "{{.State.ExitCode}}", name); code != "0" {
		logs, _ := podman(t, "logs", name)
		t.Fatalf("exit code after SIGTERM: %s, want 0\n%s", code, logs)
	}
	if out, err := podman(t, "start", name); err != nil {
		t.Fatalf("podman start: %v\n%s", err, out)
	}
	waitUp(t, base)
	if page := okBody(t, base+"/posts/hello-world"); !strings.Contains(page, "Written inside the container") {
		t.Fatal("the comment is gone after a restart")
	}

	// The image's own health check (the binary asking /readyz) reports healthy.
	deadline := time.Now().Add(30 * time.Second)
	for {
		podman(t, "healthcheck", "run", name)
		status, _ := podman(t, "inspect", "--format", "{{.State.Health.Status}}", name)
		if strings.HasSuffix(status, "healthy") && !strings.HasSuffix(status, "unhealthy") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health status %q", status)
		}
		time.Sleep(time.Second)
	}

	// The root filesystem is read-only and the program runs as 65532: only /data is written.
	if out, err := podman(t, "exec", name, "/web", "backup", "/data/backup.db"); err != nil || !strings.Contains(out, "1 comments") {
		t.Fatalf("backup inside the container: %v\n%s", err, out)
	}
	if out, err := podman(t, "exec", name, "/web", "backup", "/backup.db"); err == nil {
		t.Fatalf("a write outside /data succeeded: %s", out)
	}
	if code, _ := podman(t, "inspect", "--format", "{{.State.Running}}", name); code != "true" {
		t.Fatal("the container is not running")
	}
	if out, err := podman(t, "stop", "-t", "10", name); err != nil {
		t.Fatalf("podman stop: %v\n%s", err, out)
	}
	if code, _ := podman(t, "inspect", "--format", "{{.State.ExitCode}}", name); code != "0" {
		t.Fatalf("exit code after SIGTERM: %s, want 0", code)
	}
}

// imageIDs lists the images podman holds, intermediate ones included, that pass the filters given.
func imageIDs(t *testing.T, filters ...string) []string {
	out, err := podman(t, append([]string{"images", "-a", "-q", "--no-trunc"}, filters...)...)
	if err != nil {
		t.Fatalf("podman images: %v\n%s", err, out)
	}
	return strings.Fields(out)
}
