package contract

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Outputs is what a cluster stack's outputs say, typed: what status, plan,
// the driver's report and the health gate read. An output the stack does not
// have is the zero value.
type Outputs struct {
	Role                 string
	Wave                 int
	ClusterName          string
	Region               string
	AccountID            string
	Kubernetes           string            // KubernetesVersion
	Endpoint             string            // Endpoint
	NodeGroupName        string            // NodeGroupName
	NodeGroupRelease     string            // NodeGroupRelease
	Addons               map[string]string // AddonVersions
	Charts               map[string]string // ChartVersions
	Karpenter            string            // KarpenterVersion
	EchoServerURL        string            // EchoServerURL
	OIDCIssuerURL        string            // OIDCIssuerURL
	CertificateAuthority string            // CertificateAuthority (public: it is in every kubeconfig)
	KarpenterQueue       string            // KarpenterQueue
	EBSStorageClass      string            // EBSStorageClass
	EFSStorageClass      string            // EFSStorageClass
	EFSFileSystemID      string            // EFSFileSystemID
	ClusterAdminRole     string            // ClusterAdminRoleARN
	PodLogGroup          string            // PodLogGroup
	Parameters           map[string]string // Parameters
	// ContainerInsights is the Container Insights console URL, "" when off.
	ContainerInsights     string
	PrometheusWorkspaceID string // PrometheusWorkspaceID
	PrometheusEndpoint    string // PrometheusEndpoint
}

// Read maps stack outputs, as the Automation API returns them (decoded JSON,
// secrets replaced by a placeholder), onto Outputs. An output of the wrong
// shape is an error that names it: such a stack was not written by this
// program, and a reader must not guess.
func Read(raw map[string]any) (Outputs, error) {
	var o Outputs
	var errs []string
	str := func(name string, into *string) {
		v, ok := raw[name]
		if !ok || v == nil {
			return
		}
		s, ok := v.(string)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s is %T, not a string", name, v))
			return
		}
		*into = s
	}
	strMap := func(name string) map[string]string {
		v, ok := raw[name]
		if !ok || v == nil {
			return nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s is %T, not a map", name, v))
			return nil
		}
		out := make(map[string]string, len(m))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			s, ok := m[k].(string)
			if !ok {
				errs = append(errs, fmt.Sprintf("%s.%s is %T, not a string", name, k, m[k]))
				continue
			}
			out[k] = s
		}
		return out
	}
	str(Role, &o.Role)
	if v, ok := raw[Wave]; ok && v != nil {
		switch n := v.(type) {
		case float64:
			o.Wave = int(n)
		case int:
			o.Wave = n
		default:
			errs = append(errs, fmt.Sprintf("%s is %T, not a number", Wave, v))
		}
	}
	str(ClusterName, &o.ClusterName)
	str(Region, &o.Region)
	str(AccountID, &o.AccountID)
	str(KubernetesVersion, &o.Kubernetes)
	str(Endpoint, &o.Endpoint)
	str(NodeGroupName, &o.NodeGroupName)
	str(NodeGroupRelease, &o.NodeGroupRelease)
	o.Addons = strMap(AddonVersions)
	o.Charts = strMap(ChartVersions)
	str(KarpenterVersion, &o.Karpenter)
	str(EchoServerURL, &o.EchoServerURL)
	str(OIDCIssuerURL, &o.OIDCIssuerURL)
	str(CertificateAuthority, &o.CertificateAuthority)
	str(KarpenterQueue, &o.KarpenterQueue)
	str(EBSStorageClass, &o.EBSStorageClass)
	str(EFSStorageClass, &o.EFSStorageClass)
	str(EFSFileSystemID, &o.EFSFileSystemID)
	str(ClusterAdminRoleARN, &o.ClusterAdminRole)
	str(PodLogGroup, &o.PodLogGroup)
	o.Parameters = strMap(Parameters)
	str(ContainerInsights, &o.ContainerInsights)
	str(PrometheusWorkspaceID, &o.PrometheusWorkspaceID)
	str(PrometheusEndpoint, &o.PrometheusEndpoint)
	if len(errs) > 0 {
		return o, fmt.Errorf("the stack's outputs do not match the program's contract: %v", errs)
	}
	return o, nil
}

// ErrNoOutputs is ReadDeployed's answer for a stack with no outputs at all:
// the engine writes them at the end of a run, so a stack that holds
// resources without them is one whose first up was killed before it ended.
var ErrNoOutputs = errors.New("the stack has no outputs: its first up did not finish")

// ReadDeployed is Read for a stack that holds a cluster: it also requires
// KubernetesVersion, which every stack this program deployed exports.
func ReadDeployed(raw map[string]any) (Outputs, error) {
	if len(raw) == 0 {
		return Outputs{}, ErrNoOutputs
	}
	o, err := Read(raw)
	if err != nil {
		return o, err
	}
	if o.Kubernetes == "" {
		return o, fmt.Errorf("the stack has no %s output: was it made by eksplatform?", KubernetesVersion)
	}
	return o, nil
}
