// Package box runs a cluster in a box on loopback: one etcd and, per
// cluster, a real kube-apiserver (its own etcd prefix), kube-controller-
// manager, kube-scheduler and kwok, which plays the kubelets of the nodes the
// management node group and karpenter would bring. The binaries are the
// ones tools/box/build.sh builds once per version (make box). The tests of
// tests/box and `make demo` start and stop it.
package box

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Parts are the directories tools/box/build.sh prints, one per part.
type Parts struct {
	Etcd, Kwok, Kubernetes, KubernetesProvider string
}

// BuildParts runs tools/box/build.sh in the repository at root: it builds
// what is not in the cache yet (once per version, many minutes cold) and
// returns where the parts are.
func BuildParts(ctx context.Context, root string) (Parts, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(root, "tools/box/build.sh"), "etcd", "kwok", "kubernetes", "kubernetes-provider")
	cmd.Dir = root
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return Parts{}, fmt.Errorf("tools/box/build.sh: %w\n%s", err, errb.String())
	}
	dirs := strings.Fields(out.String())
	if len(dirs) != 4 {
		return Parts{}, fmt.Errorf("tools/box/build.sh printed %q, want four directories", out.String())
	}
	return Parts{Etcd: dirs[0], Kwok: dirs[1], Kubernetes: dirs[2], KubernetesProvider: dirs[3]}, nil
}

// Box is a running box.
type Box struct {
	dir   string
	parts Parts
	pki   *pki
	etcd  string // client URL

	mu    sync.Mutex
	procs []*exec.Cmd
	// Clusters by name.
	Clusters map[string]*Cluster
}

// Cluster is the API server of one cluster in the box.
type Cluster struct {
	Name string
	// Server is https://127.0.0.1:<port>.
	Server string
	// Kubeconfig is the path of its kubeconfig (JSON), also at
	// <dir>/<name>/kubeconfig.json, where the stand-in eks plugin reads it.
	Kubeconfig string
	client     *http.Client
	token      string
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts etcd and one API server with its controllers per cluster, in
// dir (which becomes the stand-in's EKSPLATFORM_BOX_DIR), and waits until
// each is ready. Logs go to dir/<process>.log.
func Start(ctx context.Context, dir string, parts Parts, clusters ...string) (*Box, error) {
	b := &Box{dir: dir, parts: parts, Clusters: map[string]*Cluster{}}
	var err error
	if b.pki, err = newPKI(dir); err != nil {
		return nil, err
	}
	if err := b.startEtcd(ctx); err != nil {
		b.Stop()
		return nil, err
	}
	for _, name := range clusters {
		if err := b.startCluster(ctx, name); err != nil {
			b.Stop()
			return nil, err
		}
	}
	return b, nil
}

func (b *Box) start(name string, bin string, args ...string) error {
	logf, err := os.Create(filepath.Join(b.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a Ctrl-C of the test run reaches Stop, which
	// ends them, not the processes first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	b.mu.Lock()
	b.procs = append(b.procs, cmd)
	b.mu.Unlock()
	go func() { _ = cmd.Wait(); logf.Close() }()
	return nil
}

func (b *Box) startEtcd(ctx context.Context) error {
	client, err := freePort()
	if err != nil {
		return err
	}
	peer, err := freePort()
	if err != nil {
		return err
	}
	b.etcd = fmt.Sprintf("http://127.0.0.1:%d", client)
	if err := b.start("etcd", filepath.Join(b.parts.Etcd, "etcd"),
		"--data-dir", filepath.Join(b.dir, "etcd"),
		"--listen-client-urls", b.etcd, "--advertise-client-urls", b.etcd,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peer),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peer),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", peer),
		"--unsafe-no-fsync", "--log-level", "warn",
	); err != nil {
		return err
	}
	return waitFor(ctx, "etcd", 60*time.Second, func() error {
		resp, err := http.Get(b.etcd + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("etcd /health: %s", resp.Status)
		}
		return nil
	})
}

func (b *Box) startCluster(ctx context.Context, name string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	cdir := filepath.Join(b.dir, name)
	if err := os.MkdirAll(cdir, 0o700); err != nil {
		return err
	}
	c := &Cluster{Name: name, Server: fmt.Sprintf("https://127.0.0.1:%d", port), Kubeconfig: filepath.Join(cdir, "kubeconfig.json"), token: b.pki.Token}
	kubeconfig, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "box",
		"clusters": []any{map[string]any{"name": name, "cluster": map[string]any{
			"server": c.Server, "certificate-authority-data": b.pki.CAPEM,
		}}},
		"contexts": []any{map[string]any{"name": "box", "context": map[string]any{"cluster": name, "user": "box-admin"}}},
		"users":    []any{map[string]any{"name": "box-admin", "user": map[string]any{"token": b.pki.Token}}},
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.Kubeconfig, kubeconfig, 0o600); err != nil {
		return err
	}
	c.client = clientFor(b.pki.CAPEM)

	k := b.parts.Kubernetes
	if err := b.start(name+"-apiserver", filepath.Join(k, "kube-apiserver"),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(port),
		"--etcd-servers="+b.etcd, "--etcd-prefix=/registry-"+name,
		"--token-auth-file="+b.pki.TokenFile, "--authorization-mode=RBAC",
		"--tls-cert-file="+b.pki.CertFile, "--tls-private-key-file="+b.pki.KeyFile,
		"--service-account-issuer=https://kubernetes.default.svc", "--service-account-key-file="+b.pki.SAPubFile,
		"--service-account-signing-key-file="+b.pki.SAKeyFile, "--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none", "--allow-privileged=true",
	); err != nil {
		return err
	}
	if err := waitFor(ctx, name+" kube-apiserver", 120*time.Second, func() error { return c.get(ctx, "/readyz") }); err != nil {
		return fmt.Errorf("%w (log: %s)", err, filepath.Join(b.dir, name+"-apiserver.log"))
	}
	// nodelifecycle takes off the node.kubernetes.io/not-ready taint the
	// API server puts on every new Node once kwok reports it Ready; without
	// it nothing is ever scheduled. endpoint and endpointslice give a
	// Service the endpoints the kubernetes provider waits for.
	if err := b.start(name+"-controller-manager", filepath.Join(k, "kube-controller-manager"),
		"--kubeconfig="+c.Kubeconfig, "--leader-elect=false", "--secure-port=0",
		"--controllers=namespace,garbagecollector,deployment,replicaset,serviceaccount,serviceaccount-token,nodelifecycle,endpoint,endpointslice",
		"--service-account-private-key-file="+b.pki.SAKeyFile, "--root-ca-file="+b.pki.CAFile,
	); err != nil {
		return err
	}
	if err := b.start(name+"-scheduler", filepath.Join(k, "kube-scheduler"),
		"--kubeconfig="+c.Kubeconfig, "--leader-elect=false", "--secure-port=0",
	); err != nil {
		return err
	}
	if err := b.start(name+"-kwok", filepath.Join(b.parts.Kwok, "kwok"),
		"--kubeconfig="+c.Kubeconfig, "--config="+filepath.Join(b.parts.Kwok, "stages.yaml"), "--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--cidr=10.0.0.1/16", "--node-ip=10.0.0.1", "--server-address=",
	); err != nil {
		return err
	}
	b.Clusters[name] = c
	return nil
}

// get fails unless path answers 200 with the box-admin token.
func (c *Cluster) get(ctx context.Context, path string) error {
	_, err := c.Do(ctx, http.MethodGet, path, nil)
	return err
}

// Do sends a request to the API server as box-admin and returns the body
// of a 2xx answer.
func (c *Cluster) Do(ctx context.Context, method, path string, body any) ([]byte, error) {
	contentType := "application/json"
	if method == http.MethodPatch {
		contentType = "application/merge-patch+json"
	}
	return c.do(ctx, method, path, contentType, body)
}

func (c *Cluster) do(ctx context.Context, method, path, contentType string, body any) ([]byte, error) {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", contentType)
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	if _, err := out.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return out.Bytes(), fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, firstLine(out.String()))
	}
	return out.Bytes(), nil
}

func firstLine(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	if sc.Scan() {
		return sc.Text()
	}
	return ""
}

// Stop ends every process of the box (SIGTERM, then SIGKILL after 10 s).
func (b *Box) Stop() {
	b.mu.Lock()
	procs := b.procs
	b.procs = nil
	b.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		if p := procs[i].Process; p != nil {
			_ = syscall.Kill(-p.Pid, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, c := range procs {
		for c.ProcessState == nil && time.Now().Before(deadline) && syscall.Kill(c.Process.Pid, 0) == nil {
			time.Sleep(100 * time.Millisecond)
		}
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
}

func waitFor(ctx context.Context, what string, limit time.Duration, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w", what, limit, errors.Join(last, ctx.Err()))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Logs are the last lines of every process's log, for a failing test to print.
func (b *Box) Logs(lines int) string {
	var out strings.Builder
	matches, _ := filepath.Glob(filepath.Join(b.dir, "*.log"))
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(all) > lines {
			all = all[len(all)-lines:]
		}
		fmt.Fprintf(&out, "== %s\n%s\n", filepath.Base(m), strings.Join(all, "\n"))
	}
	return out.String()
}

// Describe is what a person debugging a failed box test asks first: each
// node with its Ready condition and taints, each pod with its node, phase
// and conditions, and the last events, one line each.
func (c *Cluster) Describe(ctx context.Context) string {
	var out strings.Builder
	var list struct {
		Items []struct {
			Metadata struct{ Namespace, Name string } `json:"metadata"`
			Spec     struct {
				NodeName string `json:"nodeName"`
				Taints   []struct{ Key, Effect string }
			} `json:"spec"`
			Status struct {
				Phase      string `json:"phase"`
				Conditions []struct{ Type, Status, Reason, Message string }
			} `json:"status"`
		} `json:"items"`
	}
	for _, path := range []string{"/api/v1/nodes", "/api/v1/pods"} {
		body, err := c.Do(ctx, http.MethodGet, path, nil)
		if err != nil {
			fmt.Fprintf(&out, "%s: %v\n", path, err)
			continue
		}
		list.Items = nil
		if err := json.Unmarshal(body, &list); err != nil {
			fmt.Fprintf(&out, "%s: %v\n", path, err)
			continue
		}
		for _, it := range list.Items {
			fmt.Fprintf(&out, "%s %s/%s node=%q phase=%q taints=%v", path, it.Metadata.Namespace, it.Metadata.Name, it.Spec.NodeName, it.Status.Phase, it.Spec.Taints)
			for _, cond := range it.Status.Conditions {
				fmt.Fprintf(&out, " %s=%s(%s %s)", cond.Type, cond.Status, cond.Reason, cond.Message)
			}
			out.WriteString("\n")
		}
	}
	var events struct {
		Items []struct {
			InvolvedObject  struct{ Kind, Name string } `json:"involvedObject"`
			Reason, Message string
		} `json:"items"`
	}
	if body, err := c.Do(ctx, http.MethodGet, "/api/v1/events?limit=200", nil); err == nil && json.Unmarshal(body, &events) == nil {
		n := len(events.Items)
		for _, e := range events.Items[max(0, n-30):] {
			fmt.Fprintf(&out, "event %s/%s %s: %s\n", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
	return out.String()
}

func clientFor(caPEM []byte) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// Connect is a client of the cluster whose kubeconfig (as Start writes it)
// is at path: how the stand-in aws plugin, in its own process, reaches the
// box to bring up the nodes of a node group.
func Connect(path string) (*Cluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var kc struct {
		Clusters []struct {
			Name    string
			Cluster struct {
				Server string
				CA     []byte `json:"certificate-authority-data"`
			}
		}
		Users []struct {
			User struct{ Token string }
		}
	}
	if err := json.Unmarshal(data, &kc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(kc.Clusters) != 1 || len(kc.Users) != 1 {
		return nil, fmt.Errorf("%s: not a box kubeconfig (one cluster, one user)", path)
	}
	cl := kc.Clusters[0]
	return &Cluster{Name: cl.Name, Server: cl.Cluster.Server, Kubeconfig: path, token: kc.Users[0].User.Token, client: clientFor(cl.Cluster.CA)}, nil
}
