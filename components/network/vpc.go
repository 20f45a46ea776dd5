package network

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"

	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
)

// NAT gateway layouts.
const (
	NATOnePerAZ = "one_per_az"
	NATSingle   = "single"
)

// ZoneCount is how many availability zones a created VPC spans.
const ZoneCount = 3

// VpcArgs configures the cluster's VPC. Either CIDR (create) or ID with
// subnets (adopt) is set.
type VpcArgs struct {
	ClusterName string
	// CIDR creates a VPC; its /16 to /22 block is split into three private
	// subnets (a quarter each) and three public ones (the last quarter).
	CIDR string
	// NATGateways is NATOnePerAZ or NATSingle (created VPCs).
	NATGateways string
	// FlowLogRetentionDays is the CloudWatch retention of flow logs (created VPCs).
	FlowLogRetentionDays int
	// Partition, Region and AccountID bind the flow-log role's trust to
	// this account's flow logs (created VPCs).
	Partition string
	Region    string
	AccountID string

	// ID, PrivateSubnetIDs and PublicSubnetIDs adopt an existing VPC: nothing
	// is created and the ids flow through.
	ID               string
	PrivateSubnetIDs []string
	PublicSubnetIDs  []string

	Tags map[string]string
}

// Vpc is the network the cluster runs in.
type Vpc struct {
	pulumi.ResourceState

	VpcID            pulumi.StringOutput
	PrivateSubnetIDs pulumi.StringArrayOutput
	PublicSubnetIDs  pulumi.StringArrayOutput
	// Created reports whether this component owns the VPC.
	Created bool
	// Zones are the availability zones of a created VPC.
	Zones []string
	// PrivateSubnetKeys name one private subnet per availability zone,
	// stably, by zone: a resource per zone (an EFS mount target, of which a
	// file system has one per zone) is named by key. PrivateSubnets maps
	// them to subnet ids. An adopted VPC's subnets were keyed by id before:
	// PrivateSubnetKeyWas maps a zone key to that old key, for aliases.
	PrivateSubnetKeys   []string
	PrivateSubnets      map[string]pulumi.StringOutput
	PrivateSubnetKeyWas map[string]string
}

// SubnetLayout carves a VPC CIDR into zones private and zones public subnets:
// private subnets take a quarter each (nodes and pods live there), public
// subnets a sixteenth each from the last quarter (load balancers and NAT).
func SubnetLayout(cidr string, zones int) (private, public []netip.Prefix, err error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return nil, nil, fmt.Errorf("%q is not an IPv4 network CIDR", cidr)
	}
	if zones < 1 || zones > 3 {
		return nil, nil, fmt.Errorf("zones must be 1 to 3, got %d", zones)
	}
	if p.Bits() > 24 {
		return nil, nil, fmt.Errorf("%s is too small to split; use /16 to /22", cidr)
	}
	base := ipv4ToUint(p.Addr())
	size := uint32(1) << (32 - p.Bits())
	quarter, sixteenth := size/4, size/16
	for i := range zones {
		private = append(private, netip.PrefixFrom(uintToIPv4(base+uint32(i)*quarter), p.Bits()+2))
		public = append(public, netip.PrefixFrom(uintToIPv4(base+3*quarter+uint32(i)*sixteenth), p.Bits()+4))
	}
	return private, public, nil
}

func ipv4ToUint(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func uintToIPv4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// NewVpc creates the VPC or passes an adopted one through.
func NewVpc(ctx *pulumi.Context, name string, args *VpcArgs, opts ...pulumi.ResourceOption) (*Vpc, error) {
	if args == nil {
		return nil, fmt.Errorf("Vpc %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "", "ClusterName is required")
	errs.Check((a.CIDR == "") != (a.ID == ""), "exactly one of CIDR (create) and ID (adopt) is required")
	var private, public []netip.Prefix
	if a.CIDR != "" {
		var err error
		private, public, err = SubnetLayout(a.CIDR, ZoneCount)
		errs.Check(err == nil, "%v", err)
		errs.Check(a.NATGateways == NATOnePerAZ || a.NATGateways == NATSingle, "NATGateways must be %q or %q, got %q", NATOnePerAZ, NATSingle, a.NATGateways)
		errs.Check(a.FlowLogRetentionDays > 0, "FlowLogRetentionDays is required")
		errs.Check(a.Partition != "" && a.Region != "" && a.AccountID != "", "Partition, Region and AccountID are required for the flow logs")
	} else {
		errs.Check(len(a.PrivateSubnetIDs) >= 2, "an adopted VPC needs at least 2 private subnets")
	}
	if err := errs.Err("Vpc", name); err != nil {
		return nil, err
	}

	v := &Vpc{}
	if err := ctx.RegisterComponentResource("eksplatform:network:Vpc", name, v, opts...); err != nil {
		return nil, err
	}
	v.PrivateSubnets = map[string]pulumi.StringOutput{}
	v.PrivateSubnetKeyWas = map[string]string{}
	if a.ID != "" {
		// An adopted subnet's zone is AWS's to say: two private subnets in
		// one zone get one mount target, in the first of them.
		for _, id := range a.PrivateSubnetIDs {
			sn, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: pulumi.StringRef(id)}, pulumi.Parent(v))
			if err != nil {
				return nil, fmt.Errorf("Vpc %s: looking up subnet %s: %w", name, id, err)
			}
			zone := sn.AvailabilityZone
			if _, seen := v.PrivateSubnets[zone]; seen {
				continue
			}
			v.PrivateSubnetKeys = append(v.PrivateSubnetKeys, zone)
			v.PrivateSubnets[zone] = pulumi.String(id).ToStringOutput()
			v.PrivateSubnetKeyWas[zone] = id
		}
		v.VpcID = pulumi.String(a.ID).ToStringOutput()
		v.PrivateSubnetIDs = pulumi.ToStringArray(a.PrivateSubnetIDs).ToStringArrayOutput()
		v.PublicSubnetIDs = pulumi.ToStringArray(a.PublicSubnetIDs).ToStringArrayOutput()
	} else if err := v.create(ctx, name, a, private, public); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(v, pulumi.Map{
		"vpcId":            v.VpcID,
		"privateSubnetIds": v.PrivateSubnetIDs,
		"publicSubnetIds":  v.PublicSubnetIDs,
	}); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *Vpc) create(ctx *pulumi.Context, name string, a *VpcArgs, private, public []netip.Prefix) error {
	parent := pulumi.Parent(v)
	// Local and Wavelength zones are opt-in; nodes belong in regular zones.
	zones, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State:   pulumi.StringRef("available"),
		Filters: []aws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	}, parent)
	if err != nil {
		return fmt.Errorf("Vpc %s: listing availability zones: %w", name, err)
	}
	names := slices.Sorted(slices.Values(zones.Names))
	if len(names) < ZoneCount {
		return fmt.Errorf("Vpc %s: the region offers %d availability zones, %d are needed", name, len(names), ZoneCount)
	}
	v.Zones = names[:ZoneCount]
	v.Created = true

	tags := func(extra map[string]string) pulumi.StringMap {
		m := pulumi.StringMap{}
		for k, val := range a.Tags {
			m[k] = pulumi.String(val)
		}
		for k, val := range extra {
			m[k] = pulumi.String(val)
		}
		return m
	}
	clusterTag := "kubernetes.io/cluster/" + a.ClusterName

	vpc, err := ec2.NewVpc(ctx, name, &ec2.VpcArgs{
		CidrBlock:          pulumi.String(a.CIDR),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               tags(map[string]string{"Name": a.ClusterName}),
	}, parent)
	if err != nil {
		return err
	}
	v.VpcID = vpc.ID().ToStringOutput()

	// The default security group allows all traffic between its members;
	// nothing should use it, so it is emptied (CIS AWS 5.4).
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name, &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
		Tags:  tags(map[string]string{"Name": a.ClusterName + "-default-unused"}),
	}, parent); err != nil {
		return err
	}

	igw, err := ec2.NewInternetGateway(ctx, name, &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  tags(map[string]string{"Name": a.ClusterName}),
	}, parent)
	if err != nil {
		return err
	}
	publicRT, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Tags:  tags(map[string]string{"Name": a.ClusterName + "-public"}),
	}, parent)
	if err != nil {
		return err
	}
	if _, err := ec2.NewRoute(ctx, name+"-public-default", &ec2.RouteArgs{
		RouteTableId:         publicRT.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            igw.ID(),
	}, parent); err != nil {
		return err
	}

	var privateIDs, publicIDs pulumi.StringArray
	nats := map[string]*ec2.NatGateway{}
	for i, zone := range v.Zones {
		pub, err := ec2.NewSubnet(ctx, name+"-public-"+zone, &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			AvailabilityZone: pulumi.String(zone),
			CidrBlock:        pulumi.String(public[i].String()),
			// Only load balancers and NAT gateways live here; nothing gets a
			// public address by accident.
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags: tags(map[string]string{
				"Name":                   a.ClusterName + "-public-" + zone,
				"kubernetes.io/role/elb": "1",
				clusterTag:               "shared",
			}),
		}, parent)
		if err != nil {
			return err
		}
		publicIDs = append(publicIDs, pub.ID())
		if _, err := ec2.NewRouteTableAssociation(ctx, name+"-public-"+zone, &ec2.RouteTableAssociationArgs{
			SubnetId: pub.ID(), RouteTableId: publicRT.ID(),
		}, parent); err != nil {
			return err
		}
		if a.NATGateways == NATOnePerAZ || i == 0 {
			eip, err := ec2.NewEip(ctx, name+"-nat-"+zone, &ec2.EipArgs{
				Domain: pulumi.String("vpc"),
				Tags:   tags(map[string]string{"Name": a.ClusterName + "-nat-" + zone}),
			}, parent)
			if err != nil {
				return err
			}
			nat, err := ec2.NewNatGateway(ctx, name+"-"+zone, &ec2.NatGatewayArgs{
				AllocationId: eip.ID(),
				SubnetId:     pub.ID(),
				Tags:         tags(map[string]string{"Name": a.ClusterName + "-" + zone}),
			}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
			if err != nil {
				return err
			}
			nats[zone] = nat
		}
	}
	for i, zone := range v.Zones {
		priv, err := ec2.NewSubnet(ctx, name+"-private-"+zone, &ec2.SubnetArgs{
			VpcId:               vpc.ID(),
			AvailabilityZone:    pulumi.String(zone),
			CidrBlock:           pulumi.String(private[i].String()),
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags: tags(map[string]string{
				"Name":                            a.ClusterName + "-private-" + zone,
				"kubernetes.io/role/internal-elb": "1",
				"karpenter.sh/discovery":          a.ClusterName,
				clusterTag:                        "shared",
			}),
		}, parent)
		if err != nil {
			return err
		}
		privateIDs = append(privateIDs, priv.ID())
		v.PrivateSubnetKeys = append(v.PrivateSubnetKeys, zone)
		v.PrivateSubnets[zone] = priv.ID().ToStringOutput()
		nat, ok := nats[zone]
		if !ok {
			nat = nats[v.Zones[0]]
		}
		rt, err := ec2.NewRouteTable(ctx, name+"-private-"+zone, &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Tags:  tags(map[string]string{"Name": a.ClusterName + "-private-" + zone}),
		}, parent)
		if err != nil {
			return err
		}
		if _, err := ec2.NewRoute(ctx, name+"-private-"+zone+"-default", &ec2.RouteArgs{
			RouteTableId:         rt.ID(),
			DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
			NatGatewayId:         nat.ID(),
		}, parent); err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, name+"-private-"+zone, &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: rt.ID(),
		}, parent); err != nil {
			return err
		}
	}
	v.PrivateSubnetIDs = privateIDs.ToStringArrayOutput()
	v.PublicSubnetIDs = publicIDs.ToStringArrayOutput()
	return v.flowLogs(ctx, name, a, vpc, tags(nil))
}

// flowLogs sends every accepted and rejected flow to a CloudWatch log group,
// through a role that can write to that group only.
func (v *Vpc) flowLogs(ctx *pulumi.Context, name string, a *VpcArgs, vpc *ec2.Vpc, tags pulumi.StringMap) error {
	parent := pulumi.Parent(v)
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.Sprintf("/aws/vpc/%s/flow-logs", a.ClusterName),
		RetentionInDays: pulumi.Int(a.FlowLogRetentionDays),
		Tags:            tags,
	}, parent)
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		Description:      pulumi.Sprintf("VPC flow logs of %s (eksplatform)", a.ClusterName),
		AssumeRolePolicy: pulumi.String(flowLogTrust(a)),
		Tags:             tags,
	}, parent)
	if err != nil {
		return err
	}
	policy := group.Arn.ApplyT(func(arn string) string {
		return iampolicy.New(
			iampolicy.Statement{
				Sid: "WriteTheFlowLogGroup", Effect: "Allow",
				Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
				Resource: []string{arn, arn + ":*"},
			},
			// The service looks its destination up before it writes;
			// DescribeLogGroups acts on no resource type, so only "*".
			iampolicy.Statement{Sid: "FindTheFlowLogGroup", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*"},
		).JSON()
	}).(pulumi.StringOutput)
	rp, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{Role: role.ID(), Policy: policy}, parent)
	if err != nil {
		return err
	}
	_, err = ec2.NewFlowLog(ctx, name, &ec2.FlowLogArgs{
		VpcId:                  vpc.ID(),
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(60),
		Tags:                   tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{rp}))
	return err
}

// flowLogTrust lets the flow-logs service assume the role for this
// account's flow logs only (the confused-deputy conditions AWS documents).
func flowLogTrust(a *VpcArgs) string {
	return iampolicy.New(iampolicy.Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": "vpc-flow-logs.amazonaws.com"},
		Action:    "sts:AssumeRole",
		Condition: map[string]map[string]any{
			"StringEquals": {"aws:SourceAccount": a.AccountID},
			"ArnLike":      {"aws:SourceArn": fmt.Sprintf("arn:%s:ec2:%s:%s:vpc-flow-log/*", a.Partition, a.Region, a.AccountID)},
		},
	}).JSON()
}
