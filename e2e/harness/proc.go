package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Cleaner registers a function to run when the caller is done with what
// it started. *testing.T and *Stack implement it.
type Cleaner interface {
	Cleanup(func())
}

// Stack is a Cleaner for programs (the demo): Close runs the registered
// functions in reverse order, once.
type Stack struct {
	mu  sync.Mutex
	fns []func()
}

// Cleanup registers f.
func (s *Stack) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fns = append(s.fns, f)
}

// Close runs the registered functions, last first.
func (s *Stack) Close() {
	s.mu.Lock()
	fns := s.fns
	s.fns = nil
	s.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// ProcSpec describes a process to start.
type ProcSpec struct {
	Name string   // for messages
	Path string   // executable
	Args []string // without the program name
	Env  []string // the complete environment (nothing is inherited)
	Dir  string   // working directory
	// LogFile, if set, receives stdout and stderr as well.
	LogFile string
	// Echo, if set, receives stdout and stderr as well (e.g. the demo's
	// terminal).
	Echo io.Writer
}

// Proc is a started process in its own process group. Its combined
// stdout and stderr are kept in memory.
type Proc struct {
	Name  string
	Start time.Time
	cmd   *exec.Cmd
	out   *outputBuffer
	done  chan struct{}
	err   error // set before done is closed
	once  sync.Once
}

// StartProc starts spec and registers its shutdown (SIGTERM to the
// process group, SIGKILL after 10 s) with cl. The process also gets
// SIGKILL if the harness's own process dies, so nothing outlives a test
// binary killed by a timeout.
func StartProc(cl Cleaner, spec ProcSpec) (*Proc, error) {
	p := &Proc{Name: spec.Name, out: &outputBuffer{}, done: make(chan struct{})}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = spec.Env
	cmd.Dir = spec.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var w io.Writer = p.out
	var lf *os.File
	if spec.LogFile != "" {
		f, err := os.Create(spec.LogFile)
		if err != nil {
			return nil, err
		}
		lf = f
		w = io.MultiWriter(w, f)
	}
	if spec.Echo != nil {
		w = io.MultiWriter(w, spec.Echo)
	}
	// One writer for both streams: exec copies them in two goroutines.
	w = &lockedWriter{w: w}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		if lf != nil {
			lf.Close()
		}
		return nil, fmt.Errorf("starting %s: %w", spec.Name, err)
	}
	p.cmd = cmd
	p.Start = time.Now()
	go func() {
		p.err = cmd.Wait()
		if lf != nil {
			lf.Close()
		}
		close(p.done)
	}()
	cl.Cleanup(func() { p.Stop() })
	return p, nil
}

// PID is the process id (and process group id).
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Output returns everything the process wrote so far.
func (p *Proc) Output() string { return p.out.String() }

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Done is closed when the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits for the process to end on its own.
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop ends the process group: SIGTERM, then SIGKILL after 10 s. It is
// safe to call more than once.
func (p *Proc) Stop() {
	p.once.Do(func() {
		pgid := p.cmd.Process.Pid
		if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			_ = p.cmd.Process.Kill()
		}
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		// Anything left in the group (there should be nothing).
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
}

// WaitOutput waits until the process output contains s. It fails early
// when the process exits.
func (p *Proc) WaitOutput(ctx context.Context, s string) error {
	for {
		if strings.Contains(p.Output(), s) {
			return nil
		}
		if exited, err := p.Exited(); exited {
			if strings.Contains(p.Output(), s) {
				return nil
			}
			return fmt.Errorf("%s exited (%v) before writing %q; its output ends with:\n%s", p.Name, err, s, tail(p.Output(), 30)) //nolint:errorlint // nil after a clean exit
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not write %q in time (%w); its output ends with:\n%s", p.Name, s, ctx.Err(), tail(p.Output(), 30))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// outputBuffer collects process output; it is safe for concurrent use.
type outputBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *outputBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *outputBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
