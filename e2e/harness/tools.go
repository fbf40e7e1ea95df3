package harness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Versions of the tools the harness builds. CaddyVersion and
// XcaddyVersion must match the Makefile's CADDY_VERSION and XCADDY_VERSION
// (checked by the examples test).
const (
	Module        = "github.com/caddy-alidns/alidns"
	CaddyVersion  = "v2.11.9"
	XcaddyVersion = "v0.4.5"
	PebbleVersion = "v2.10.3"
	PebbleModule  = "github.com/letsencrypt/pebble/v2"
)

// Tools are the built binaries and the paths the harness works with.
type Tools struct {
	Root     string // repository root (the plugin module)
	CacheDir string // e2e/.cache, or $E2E_CACHE_DIR
	Go       string // the go command
	Xcaddy   string
	Pebble   string
	Caddy    string // caddy with the plugin, named by the source hash
	Sim      string // the alidns-sim command
	// PebbleDir is Pebble's module directory in the module cache (for
	// its test certificates).
	PebbleDir string
	// CaddyCached reports whether Caddy came from the cache.
	CaddyCached bool
	// CaddyBuild is how long building Caddy took (0 when cached).
	CaddyBuild time.Duration
}

// FindRoot returns the repository root: $ALIDNS_REPO if set, else the
// first directory upwards from the working directory whose go.mod declares
// the plugin module.
func FindRoot() (string, error) {
	if r := os.Getenv("ALIDNS_REPO"); r != "" {
		return filepath.Abs(r)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modulePath(b) == Module {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no directory above the working directory has a go.mod for module %s; run from inside the repository or set ALIDNS_REPO", Module)
		}
		dir = parent
	}
}

// modulePath extracts the module path from go.mod contents.
func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// BuildOptions control BuildTools.
type BuildOptions struct {
	// Log receives progress lines and the output of the builds (nil:
	// discarded). While xcaddy runs, a line with the elapsed time is
	// written every ProgressEvery (default 15 s), because the first build
	// is silent for minutes.
	Log           io.Writer
	ProgressEvery time.Duration
}

// BuildTools installs xcaddy and Pebble into the cache, builds Caddy with
// the plugin (unless a binary for the current sources is cached) and the
// simulator. Builds are serialised across processes by a lock file.
func BuildTools(ctx context.Context, opts BuildOptions) (*Tools, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	log = &lockedWriter{w: log}
	root, err := FindRoot()
	if err != nil {
		return nil, err
	}
	cache := os.Getenv("E2E_CACHE_DIR")
	if cache == "" {
		cache = filepath.Join(root, "e2e", ".cache")
	}
	if cache, err = filepath.Abs(cache); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("the go command is needed to build caddy, Pebble and the simulator: %w", err)
	}
	t := &Tools{Root: root, CacheDir: cache, Go: goCmd}

	unlock, err := lockFile(ctx, filepath.Join(cache, "build.lock"), log)
	if err != nil {
		return nil, err
	}
	defer unlock()

	if t.Xcaddy, err = t.goInstall(ctx, log, "xcaddy", "github.com/caddyserver/xcaddy/cmd/xcaddy", XcaddyVersion); err != nil {
		return nil, err
	}
	if t.Pebble, err = t.goInstall(ctx, log, "pebble", PebbleModule+"/cmd/pebble", PebbleVersion); err != nil {
		return nil, err
	}
	if t.PebbleDir, err = t.moduleDir(ctx, PebbleModule, PebbleVersion); err != nil {
		return nil, err
	}
	if err := t.buildSim(ctx, log); err != nil {
		return nil, err
	}
	if err := t.buildCaddy(ctx, log, opts.ProgressEvery); err != nil {
		return nil, err
	}
	return t, nil
}

// goInstall installs pkg@version into the cache unless it is there.
func (t *Tools) goInstall(ctx context.Context, log io.Writer, name, pkg, version string) (string, error) {
	dir := filepath.Join(t.CacheDir, "tools", name+"-"+version)
	bin := filepath.Join(dir, name)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, nil
	}
	fmt.Fprintf(log, "installing %s@%s\n", pkg, version)
	cmd := exec.CommandContext(ctx, t.Go, "install", pkg+"@"+version)
	cmd.Dir = t.CacheDir
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, log)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install %s@%s failed (the Go module proxy must be reachable): %w\n%s", pkg, version, err, tail(out.String(), 40))
	}
	return bin, nil
}

// moduleDir returns where the module cache holds module@version,
// downloading it if needed.
func (t *Tools) moduleDir(ctx context.Context, module, version string) (string, error) {
	cmd := exec.CommandContext(ctx, t.Go, "mod", "download", "-json", module+"@"+version)
	cmd.Dir = t.CacheDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w\n%s", module, version, err, stderr.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: no directory in %q (%v %s)", module, version, out, err, info.Error) //nolint:errorlint // err may be nil
	}
	return info.Dir, nil
}

// buildSim builds ./cmd/alidns-sim of the repository (quick with Go's
// build cache, so it is always rebuilt).
func (t *Tools) buildSim(ctx context.Context, log io.Writer) error {
	dir := filepath.Join(t.CacheDir, "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	t.Sim = filepath.Join(dir, "alidns-sim")
	tmp := t.Sim + ".tmp"
	cmd := exec.CommandContext(ctx, t.Go, "build", "-o", tmp, "./cmd/alidns-sim")
	cmd.Dir = t.Root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building the AliDNS simulator (go build ./cmd/alidns-sim): %w\n%s", err, out)
	}
	fmt.Fprintf(log, "built the AliDNS simulator: %s\n", t.Sim)
	return os.Rename(tmp, t.Sim)
}

// PluginHash is the content hash that names a cached caddy binary: the
// versions of Caddy, xcaddy and Go, and every non-test Go file of the
// plugin module that can be linked into Caddy (everything except the
// simulator, commands and nested modules), plus go.mod and go.sum.
func PluginHash(root string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "caddy %s\nxcaddy %s\ngo %s\n", CaddyVersion, XcaddyVersion, runtime.Version())
	files, err := PluginFiles(root)
	if err != nil {
		return "", err
	}
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// PluginFiles lists (sorted, relative to root) the files PluginHash
// covers.
func PluginFiles(root string) ([]string, error) {
	skipDirs := map[string]bool{"alidnstest": true, "cmd": true, "bin": true, "examples": true}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || d.Name() == "testdata" || skipDirs[rel] {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module (e2e, sdktest, ...)
			}
			return nil
		}
		name := d.Name()
		if rel == "go.mod" || rel == "go.sum" || (strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) {
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// XcaddyArgs are the arguments of the xcaddy build, as `make build` runs
// it.
func XcaddyArgs(root, output string) []string {
	return []string{"build", CaddyVersion, "--with", Module + "@v0.0.0=" + root, "--output", output}
}

// buildCaddy builds caddy with the plugin unless the binary for the
// current source hash exists; older binaries are removed.
func (t *Tools) buildCaddy(ctx context.Context, log io.Writer, every time.Duration) error {
	hash, err := PluginHash(t.Root)
	if err != nil {
		return fmt.Errorf("hashing the plugin sources: %w", err)
	}
	dir := filepath.Join(t.CacheDir, "caddy")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	t.Caddy = filepath.Join(dir, "caddy-"+hash)
	if fi, err := os.Stat(t.Caddy); err == nil && fi.Mode().IsRegular() {
		t.CaddyCached = true
		fmt.Fprintf(log, "caddy with the plugin is cached: %s\n", t.Caddy)
		return nil
	}
	tmp := t.Caddy + ".tmp"
	args := XcaddyArgs(t.Root, tmp)
	fmt.Fprintf(log, "building caddy %s with the plugin: xcaddy %s\n", CaddyVersion, strings.Join(args, " "))
	fmt.Fprintln(log, "(the first build downloads and compiles about 200 modules and takes a few minutes)")
	logPath := filepath.Join(dir, "build.log")
	lf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer lf.Close()
	cmd := exec.CommandContext(ctx, t.Xcaddy, args...)
	cmd.Dir = t.CacheDir
	var out tailBuffer
	cmd.Stdout = io.MultiWriter(lf, &out, log)
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if every <= 0 {
		every = 15 * time.Second
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				fmt.Fprintf(log, "  ... still building caddy (%s elapsed)\n", time.Since(start).Round(time.Second))
			}
		}
	}()
	err = cmd.Run()
	close(stop)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("xcaddy build failed after %s (full log: %s): %w\n%s", time.Since(start).Round(time.Second), logPath, err, tail(out.String(), 40))
	}
	mods, err := exec.CommandContext(ctx, tmp, "list-modules").CombinedOutput()
	if err != nil || !bytes.Contains(mods, []byte("dns.providers.alidns")) {
		return fmt.Errorf("the caddy built by xcaddy lacks the module dns.providers.alidns (%v):\n%s", err, tail(string(mods), 20)) //nolint:errorlint // err may be nil
	}
	if err := os.Rename(tmp, t.Caddy); err != nil {
		return err
	}
	t.CaddyBuild = time.Since(start)
	fmt.Fprintf(log, "built caddy in %s: %s\n", t.CaddyBuild.Round(time.Second), t.Caddy)
	old, _ := filepath.Glob(filepath.Join(dir, "caddy-*"))
	for _, o := range old {
		if o != t.Caddy {
			_ = os.Remove(o)
		}
	}
	return nil
}

// lockFile takes an exclusive flock on path, waiting (with a message)
// while another process holds it.
func lockFile(ctx context.Context, path string, log io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !told {
			fmt.Fprintf(log, "waiting for another build using %s\n", filepath.Dir(path))
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// tailBuffer keeps the last 64 KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - 64<<10; over > 0 {
		b.buf = append(b.buf[:0:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// lockedWriter serialises writes from concurrent goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
