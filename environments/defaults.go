package environments

// Defaults live here and nowhere else. applyDefaults fills what a file leaves
// out; it runs before validation so that validation sees the values that will
// be used, and it never overwrites what the file says.

// Default values, exported so that the README and tests can cite them.
const (
	DefaultInstanceType  = "m7g.large"
	DefaultMinSize       = 1
	DefaultDesiredSize   = 2
	DefaultMaxSize       = 3
	DefaultAMIType       = "AL2023_ARM_64_STANDARD"
	DefaultDiskSizeGiB   = 50
	DefaultCapacityType  = "ON_DEMAND"
	DefaultTaintKey      = "dedicated"
	DefaultTaintValue    = "management"
	DefaultTaintEffect   = "NoSchedule"
	DefaultIMDSHopLimit  = 1
	DefaultOIDCName      = "people"
	DefaultUsernameClaim = "email"
	DefaultGroupsClaim   = "groups"
	DefaultOIDCPrefix    = "oidc:"
	DefaultNATGateways   = NATOnePerAZ
	DefaultFlowLogDays   = 90
)

// NAT gateway layouts of a created VPC.
const (
	NATOnePerAZ = "one_per_az"
	NATSingle   = "single"
)

// DefaultLabels are the management node group's labels when none are given.
func DefaultLabels() map[string]string {
	return map[string]string{DefaultTaintKey: DefaultTaintValue}
}

func intPtr(v int) *int { return &v }

func applyDefaults(f *File) {
	if f.Ephemeral == nil {
		f.Ephemeral = new(bool)
	}
	if f.ManagementNodeGroup == nil {
		f.ManagementNodeGroup = &NodeGroupSpec{}
	}
	ng := f.ManagementNodeGroup
	if ng.InstanceTypes == nil {
		ng.InstanceTypes = []string{DefaultInstanceType}
	}
	if ng.MinSize == nil {
		ng.MinSize = intPtr(DefaultMinSize)
	}
	if ng.DesiredSize == nil {
		ng.DesiredSize = intPtr(max(DefaultDesiredSize, *ng.MinSize))
	}
	if ng.MaxSize == nil {
		ng.MaxSize = intPtr(max(DefaultMaxSize, *ng.DesiredSize))
	}
	if ng.AMIType == "" {
		ng.AMIType = DefaultAMIType
	}
	if ng.ReleaseVersion == "" {
		ng.ReleaseVersion = VersionLatest
	}
	if ng.DiskSizeGiB == nil {
		ng.DiskSizeGiB = intPtr(DefaultDiskSizeGiB)
	}
	if ng.CapacityType == "" {
		ng.CapacityType = DefaultCapacityType
	}
	if ng.Taint == nil {
		ng.Taint = &TaintSpec{Key: DefaultTaintKey, Value: DefaultTaintValue, Effect: DefaultTaintEffect}
	}
	if ng.Labels == nil {
		ng.Labels = DefaultLabels()
	}
	if ng.IMDSHopLimit == nil {
		ng.IMDSHopLimit = intPtr(DefaultIMDSHopLimit)
	}
	for i := range f.Clusters {
		if v := f.Clusters[i].VPC; v != nil && v.CIDR != "" {
			if v.NATGateways == "" {
				v.NATGateways = DefaultNATGateways
			}
			if v.FlowLogRetentionDays == nil {
				v.FlowLogRetentionDays = intPtr(DefaultFlowLogDays)
			}
		}
	}
	if f.Addons == nil {
		f.Addons = map[string]string{}
	}
	for _, name := range BaseAddons {
		if _, ok := f.Addons[name]; !ok {
			f.Addons[name] = VersionLatest
		}
	}
	if p := f.OIDCIdentityProvider; p != nil {
		if p.Name == "" {
			p.Name = DefaultOIDCName
		}
		if p.UsernameClaim == "" {
			p.UsernameClaim = DefaultUsernameClaim
		}
		if p.GroupsClaim == "" {
			p.GroupsClaim = DefaultGroupsClaim
		}
		if p.UsernamePrefix == nil {
			p.UsernamePrefix = new(string)
			*p.UsernamePrefix = DefaultOIDCPrefix
		}
		if p.GroupsPrefix == nil {
			p.GroupsPrefix = new(string)
			*p.GroupsPrefix = DefaultOIDCPrefix
		}
	}
}
