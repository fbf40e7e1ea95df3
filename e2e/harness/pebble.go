package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// PebbleOptions configure StartPebble.
type PebbleOptions struct {
	// DNSServer is the host:port Pebble's validation authority queries
	// (over TCP) for the _acme-challenge TXT records: the simulator's DNS.
	DNSServer string
	// Dir is the working directory (config, certificates, log).
	Dir string
	// Profiles maps certificate profile names to their lifetime. A
	// "default" profile of 90 days is added when missing.
	Profiles map[string]time.Duration
	// Port and MgmtPort are the ACME and management ports (0: free ports).
	Port, MgmtPort int
	// Echo, if set, receives Pebble's output too.
	Echo io.Writer
}

// Pebble is a running Pebble ACME CA.
type Pebble struct {
	*Proc
	// DirectoryURL is the ACME directory, e.g. https://127.0.0.1:14000/dir.
	DirectoryURL string
	// MgmtURL is the management interface (roots, intermediates).
	MgmtURL string
	// MinicaFile is the root that signs Pebble's own HTTPS certificate
	// (Caddy's acme_ca_root / trusted_roots).
	MinicaFile string
	// RootFile is the issuing root of the certificates Pebble signs,
	// fetched from the management interface (curl's --cacert for the site).
	RootFile string
	// Roots holds RootFile's certificate.
	Roots *x509.CertPool
}

// PebbleEnv is the environment Pebble runs with: no random validation
// sleeps, no injected badNonce errors, and no reuse of valid
// authorizations (so every order really goes through DNS-01).
var PebbleEnv = []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"}

// pebbleConfig is the JSON configuration file of Pebble.
type pebbleConfig struct {
	Pebble pebbleSettings `json:"pebble"`
}

// pebbleSettings is the "pebble" object of its config file.
type pebbleSettings struct {
	ListenAddress           string                   `json:"listenAddress"`
	ManagementListenAddress string                   `json:"managementListenAddress"`
	Certificate             string                   `json:"certificate"`
	PrivateKey              string                   `json:"privateKey"`
	HTTPPort                int                      `json:"httpPort"`
	TLSPort                 int                      `json:"tlsPort"`
	OCSPResponderURL        string                   `json:"ocspResponderURL"`
	ExternalAccountRequired bool                     `json:"externalAccountBindingRequired"`
	RetryAfter              map[string]int           `json:"retryAfter"`
	KeyAlgorithm            string                   `json:"keyAlgorithm"`
	Profiles                map[string]pebbleProfile `json:"profiles"`
}

type pebbleProfile struct {
	Description    string `json:"description"`
	ValidityPeriod uint64 `json:"validityPeriod"`
}

// StartPebble writes a configuration into opts.Dir, copies Pebble's
// bundled test certificates from the module cache, starts Pebble, waits
// for its directory and fetches its issuing root.
func StartPebble(ctx context.Context, cl Cleaner, tools *Tools, opts PebbleOptions) (*Pebble, error) {
	if opts.DNSServer == "" {
		return nil, fmt.Errorf("pebble: no DNS server given")
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	ports, err := FreePorts(4)
	if err != nil {
		return nil, err
	}
	if opts.Port == 0 {
		opts.Port = ports[0]
	}
	if opts.MgmtPort == 0 {
		opts.MgmtPort = ports[1]
	}
	if err := copyPebbleCerts(tools, opts.Dir); err != nil {
		return nil, err
	}
	cfgFile, c, err := writePebbleConfig(opts, ports)
	if err != nil {
		return nil, err
	}

	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + opts.Dir}, PebbleEnv...)
	proc, err := StartProc(cl, ProcSpec{
		Name:    "pebble",
		Path:    tools.Pebble,
		Args:    []string{"-config", cfgFile, "-dnsserver", opts.DNSServer},
		Env:     env,
		Dir:     opts.Dir,
		LogFile: filepath.Join(opts.Dir, "pebble.log"),
		Echo:    opts.Echo,
	})
	if err != nil {
		return nil, err
	}
	p := &Pebble{
		Proc:         proc,
		DirectoryURL: "https://" + c.ListenAddress + "/dir",
		MgmtURL:      "https://" + c.ManagementListenAddress,
		MinicaFile:   filepath.Join(opts.Dir, "pebble.minica.pem"),
		RootFile:     filepath.Join(opts.Dir, "pebble-root.pem"),
	}
	if err := p.waitReady(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// copyPebbleCerts copies Pebble's bundled localhost certificate, key and
// root into dir, where its config refers to them.
func copyPebbleCerts(tools *Tools, dir string) error {
	certs := filepath.Join(tools.PebbleDir, "test", "certs")
	files := map[string]string{
		filepath.Join(certs, "localhost", "cert.pem"): filepath.Join(dir, "pebble-cert.pem"),
		filepath.Join(certs, "localhost", "key.pem"):  filepath.Join(dir, "pebble-key.pem"),
		filepath.Join(certs, "pebble.minica.pem"):     filepath.Join(dir, "pebble.minica.pem"),
	}
	for from, to := range files {
		b, err := os.ReadFile(from)
		if err != nil {
			return fmt.Errorf("pebble: reading its bundled test certificate: %w", err)
		}
		if err := os.WriteFile(to, b, 0o600); err != nil {
			return err
		}
	}
	return checkPebbleCert(filepath.Join(dir, "pebble-cert.pem"))
}

// writePebbleConfig writes Pebble's config file and returns its path and
// contents.
func writePebbleConfig(opts PebbleOptions, ports []int) (string, *pebbleSettings, error) {
	var cfg pebbleConfig
	c := &cfg.Pebble
	c.ListenAddress = "127.0.0.1:" + strconv.Itoa(opts.Port)
	c.ManagementListenAddress = "127.0.0.1:" + strconv.Itoa(opts.MgmtPort)
	c.Certificate = "pebble-cert.pem"
	c.PrivateKey = "pebble-key.pem"
	c.HTTPPort, c.TLSPort = ports[2], ports[3] // unused: only DNS-01 is offered by Caddy
	c.RetryAfter = map[string]int{"authz": 0, "order": 0}
	c.KeyAlgorithm = "ecdsa"
	c.Profiles = map[string]pebbleProfile{}
	profiles := map[string]time.Duration{"default": 90 * 24 * time.Hour}
	for name, d := range opts.Profiles {
		profiles[name] = d
	}
	names := make([]string, 0, len(profiles))
	for name := range profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		secs := uint64(profiles[name] / time.Second)
		c.Profiles[name] = pebbleProfile{Description: fmt.Sprintf("certificates valid for %s", profiles[name]), ValidityPeriod: secs}
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", nil, err
	}
	cfgFile := filepath.Join(opts.Dir, "pebble-config.json")
	if err := os.WriteFile(cfgFile, b, 0o644); err != nil {
		return "", nil, err
	}
	return cfgFile, c, nil
}

// waitReady waits for Pebble's directory and saves its issuing root.
func (p *Pebble) waitReady(ctx context.Context) error {
	minica, err := CertPool(p.MinicaFile)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: minica}}}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pollGet(wctx, client, p.Proc, p.DirectoryURL, nil); err != nil {
		return fmt.Errorf("pebble: %w", err)
	}
	var root []byte
	if err := pollGet(wctx, client, p.Proc, p.MgmtURL+"/roots/0", &root); err != nil {
		return fmt.Errorf("pebble: fetching the issuing root: %w", err)
	}
	if blk, _ := pem.Decode(root); blk == nil || blk.Type != "CERTIFICATE" {
		return fmt.Errorf("pebble: /roots/0 returned no PEM certificate: %q", root)
	}
	if err := os.WriteFile(p.RootFile, root, 0o644); err != nil {
		return err
	}
	p.Roots, err = CertPool(p.RootFile)
	return err
}

// checkPebbleCert refuses Pebble's bundled localhost certificate once it
// has expired (it is valid until 2027-10-03), with what to do about it.
func checkPebbleCert(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return fmt.Errorf("pebble: %s holds no PEM certificate", file)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return fmt.Errorf("pebble: %s: %w", file, err)
	}
	if time.Now().After(cert.NotAfter.Add(-time.Hour)) {
		return fmt.Errorf("pebble: the localhost certificate bundled with Pebble %s (test/certs/localhost/cert.pem) expired on %s; "+
			"Caddy cannot reach Pebble's ACME endpoint with it. Generate a certificate for localhost/127.0.0.1 signed by a new root in "+
			"e2e/harness/pebble.go (StartPebble) and use that root as acme_ca_root, or move to a Pebble release with a newer bundled certificate",
			PebbleVersion, cert.NotAfter.Format(time.DateOnly))
	}
	return nil
}

// pollGet GETs url until it answers 200, storing the body in out if not
// nil; it stops early if proc exits.
func pollGet(ctx context.Context, client *http.Client, proc *Proc, url string, out *[]byte) error {
	var last error
	for {
		if exited, err := proc.Exited(); exited {
			return fmt.Errorf("%s exited (%v) while waiting for %s; output:\n%s", proc.Name, err, url, tail(proc.Output(), 30)) //nolint:errorlint // nil after a clean exit
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := client.Do(req)
		if err == nil {
			body, rerr := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && rerr == nil {
				if out != nil {
					*out = body
				}
				return nil
			}
			err = fmt.Errorf("status %d: %s", res.StatusCode, body)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready (%w): %v", url, ctx.Err(), last) //nolint:errorlint // last may be nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}
