package network

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const (
	testCluster = "test-i01-aws-eu-west-1"
	testRegion  = "eu-west-1"
	testAccount = "111122223333"
)

func TestSubnetLayout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cidr            string
		private, public []string
	}{
		{"10.20.0.0/16", []string{"10.20.0.0/18", "10.20.64.0/18", "10.20.128.0/18"}, []string{"10.20.192.0/20", "10.20.208.0/20", "10.20.224.0/20"}},
		{"172.16.8.0/22", []string{"172.16.8.0/24", "172.16.9.0/24", "172.16.10.0/24"}, []string{"172.16.11.0/26", "172.16.11.64/26", "172.16.11.128/26"}},
	} {
		private, public, err := SubnetLayout(tc.cidr, 3)
		require.NoError(t, err, tc.cidr)
		assert.Equal(t, tc.private, strs(private), tc.cidr)
		assert.Equal(t, tc.public, strs(public), tc.cidr)
	}
	_, _, err := SubnetLayout("10.0.0.7/16", 3)
	assert.Error(t, err, "host bits set")
	_, _, err = SubnetLayout("10.0.0.0/26", 3)
	assert.Error(t, err, "too small")
}

func strs[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

type vpcValues struct {
	vpcID           string
	private, public []string
}

func runVpc(t *testing.T, args *VpcArgs) (*mockengine.Engine, vpcValues) {
	t.Helper()
	var got vpcValues
	e := mockengine.New(testCluster)
	require.NoError(t, e.Run(mockengine.WithAWS(testRegion, testAccount, func(ctx *pulumi.Context, p *aws.Provider) error {
		v, err := NewVpc(ctx, testCluster, args, pulumi.Providers(p))
		if err != nil {
			return err
		}
		vals, err := mockengine.Await(v.VpcID, v.PrivateSubnetIDs, v.PublicSubnetIDs)
		if err != nil {
			return err
		}
		got = vpcValues{vals[0].(string), vals[1].([]string), vals[2].([]string)}
		return nil
	})))
	return e, got
}

func created(nat string) *VpcArgs {
	return &VpcArgs{ClusterName: testCluster, CIDR: "10.20.0.0/16", NATGateways: nat, FlowLogRetentionDays: 90,
		Partition: "aws", Region: testRegion, AccountID: testAccount, Tags: map[string]string{"team": "platform"}}
}

func TestVpcCreatedAcrossThreeZonesWithDiscoveryTags(t *testing.T) {
	t.Parallel()
	e, got := runVpc(t, created(NATOnePerAZ))
	vpc := e.ByType("aws:ec2/vpc:Vpc")
	require.Len(t, vpc, 1)
	assert.Equal(t, "10.20.0.0/16", vpc[0].In()["cidrBlock"])
	assert.Equal(t, true, vpc[0].In()["enableDnsHostnames"])
	assert.Equal(t, vpc[0].ID, got.vpcID)

	for i, zone := range []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"} {
		priv, ok := e.Find("aws:ec2/subnet:Subnet", testCluster+"-private-"+zone)
		require.True(t, ok, zone)
		assert.Equal(t, zone, priv.In()["availabilityZone"])
		assert.Equal(t, []string{"10.20.0.0/18", "10.20.64.0/18", "10.20.128.0/18"}[i], priv.In()["cidrBlock"])
		tags := priv.In()["tags"].(map[string]any)
		assert.Equal(t, "1", tags["kubernetes.io/role/internal-elb"])
		assert.Equal(t, testCluster, tags["karpenter.sh/discovery"])
		assert.Equal(t, "shared", tags["kubernetes.io/cluster/"+testCluster])
		assert.Equal(t, "platform", tags["team"])
		assert.Equal(t, priv.ID, got.private[i], "private subnets flow out in zone order")

		pub, ok := e.Find("aws:ec2/subnet:Subnet", testCluster+"-public-"+zone)
		require.True(t, ok, zone)
		assert.Equal(t, "1", pub.In()["tags"].(map[string]any)["kubernetes.io/role/elb"])
		assert.NotContains(t, pub.In()["tags"], "karpenter.sh/discovery", "nodes never land in public subnets")
		assert.Equal(t, false, pub.In()["mapPublicIpOnLaunch"])
		assert.Equal(t, pub.ID, got.public[i])
	}
	assert.Len(t, e.ByType("aws:ec2/subnet:Subnet"), 6, "the fourth zone the region offers is not used")
	azCalls := e.Invokes("aws:index/getAvailabilityZones:getAvailabilityZones")
	require.Len(t, azCalls, 1)
	assert.Contains(t, azCalls[0].Provider, "pulumi:providers:aws::aws")
}

func TestVpcNATGateways(t *testing.T) {
	t.Parallel()
	for nat, wantNATs := range map[string]int{NATOnePerAZ: 3, NATSingle: 1} {
		t.Run(nat, func(t *testing.T) {
			t.Parallel()
			e, _ := runVpc(t, created(nat))
			nats := e.ByType("aws:ec2/natGateway:NatGateway")
			require.Len(t, nats, wantNATs)
			assert.Len(t, e.ByType("aws:ec2/eip:Eip"), wantNATs)
			natByID := map[string]mockengine.Resource{}
			for _, n := range nats {
				natByID[n.ID] = n
			}
			for _, zone := range []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"} {
				route, ok := e.Find("aws:ec2/route:Route", testCluster+"-private-"+zone+"-default")
				require.True(t, ok)
				assert.Equal(t, "0.0.0.0/0", route.In()["destinationCidrBlock"])
				n, ok := natByID[route.In()["natGatewayId"].(string)]
				require.True(t, ok, "private route of %s goes through a NAT gateway", zone)
				wantZone := zone
				if nat == NATSingle {
					wantZone = "eu-west-1a"
				}
				pub, _ := e.Find("aws:ec2/subnet:Subnet", testCluster+"-public-"+wantZone)
				assert.Equal(t, pub.ID, n.In()["subnetId"], "%s egresses through the NAT in %s", zone, wantZone)
			}
		})
	}
}

func TestVpcFlowLogsWriteOnlyToTheirGroup(t *testing.T) {
	t.Parallel()
	e, _ := runVpc(t, created(NATSingle))
	group := e.ByType("aws:cloudwatch/logGroup:LogGroup")
	require.Len(t, group, 1)
	assert.Equal(t, "/aws/vpc/"+testCluster+"/flow-logs", group[0].In()["name"])
	assert.Equal(t, 90.0, group[0].In()["retentionInDays"])

	fl := e.ByType("aws:ec2/flowLog:FlowLog")
	require.Len(t, fl, 1)
	assert.Equal(t, "ALL", fl[0].In()["trafficType"])
	assert.Equal(t, group[0].Out()["arn"], fl[0].In()["logDestination"])

	rp := e.ByType("aws:iam/rolePolicy:RolePolicy")
	require.Len(t, rp, 1)
	policy := mockengine.Statements(t, rp[0].In()["policy"].(string))
	require.Len(t, policy, 2)
	arn := group[0].Out()["arn"].(string)
	assert.Equal(t, []string{arn, arn + ":*"}, mockengine.Strings(policy[0].Resource), "no logs:* on *")
	assert.Equal(t, "logs:DescribeLogGroups", policy[1].Action, "the service looks its group up")

	// The trust names this account's flow logs: no other account's flow log
	// can make the service assume the role (confused deputy).
	role := e.Must(t, "aws:iam/role:Role", testCluster+"-flow-logs")
	trust := mockengine.Statements(t, role.In()["assumeRolePolicy"].(string))
	require.Len(t, trust, 1)
	assert.Equal(t, map[string]any{"Service": "vpc-flow-logs.amazonaws.com"}, trust[0].Principal)
	assert.Equal(t, map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": testAccount},
		"ArnLike":      {"aws:SourceArn": "arn:aws:ec2:" + testRegion + ":" + testAccount + ":vpc-flow-log/*"},
	}, trust[0].Condition)
}

func TestVpcEmptiesTheDefaultSecurityGroup(t *testing.T) {
	t.Parallel()
	e, _ := runVpc(t, created(NATSingle))
	sg := e.ByType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
	require.Len(t, sg, 1)
	assert.NotContains(t, sg[0].In(), "ingress")
	assert.NotContains(t, sg[0].In(), "egress")
}

func TestVpcAdoptedCreatesNothing(t *testing.T) {
	t.Parallel()
	private := []string{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"}
	public := []string{"subnet-0d44dd44dd44dd444"}
	e, got := runVpc(t, &VpcArgs{ClusterName: testCluster, ID: "vpc-0a1b2c3d4e5f60718", PrivateSubnetIDs: private, PublicSubnetIDs: public})
	for _, r := range e.Resources() {
		if r.Custom {
			assert.Equal(t, "pulumi:providers:aws", r.Type, "an adopted VPC declares no AWS resource, got %s %s", r.Type, r.Name)
		}
	}
	assert.Equal(t, vpcValues{"vpc-0a1b2c3d4e5f60718", private, public}, got)
	assert.Empty(t, e.Invokes("aws:index/getAvailabilityZones:getAvailabilityZones"))
}

func TestVpcRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args *VpcArgs
		want string
	}{
		"both":       {&VpcArgs{ClusterName: testCluster, CIDR: "10.0.0.0/16", ID: "vpc-1", NATGateways: NATSingle, FlowLogRetentionDays: 7}, "exactly one of CIDR"},
		"bad NAT":    {&VpcArgs{ClusterName: testCluster, CIDR: "10.0.0.0/16", NATGateways: "none", FlowLogRetentionDays: 7}, `NATGateways must be "one_per_az" or "single"`},
		"one subnet": {&VpcArgs{ClusterName: testCluster, ID: "vpc-1", PrivateSubnetIDs: []string{"subnet-1"}}, "at least 2 private subnets"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := mockengine.New(testCluster).Run(func(ctx *pulumi.Context) error {
				_, err := NewVpc(ctx, "v", tc.args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestVpcKeysPrivateSubnetsStably(t *testing.T) {
	t.Parallel()
	var keys []string
	var ids []any
	e := mockengine.New(testCluster)
	require.NoError(t, e.Run(mockengine.WithAWS(testRegion, testAccount, func(ctx *pulumi.Context, p *aws.Provider) error {
		v, err := NewVpc(ctx, testCluster, created(NATSingle), pulumi.Providers(p))
		if err != nil {
			return err
		}
		keys = v.PrivateSubnetKeys
		for _, k := range keys {
			out, err := mockengine.Await(v.PrivateSubnets[k])
			if err != nil {
				return err
			}
			ids = append(ids, out[0])
		}
		return nil
	})))
	assert.Equal(t, []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, keys, "created subnets are keyed by zone")
	for i, k := range keys {
		assert.Equal(t, e.Must(t, "aws:ec2/subnet:Subnet", testCluster+"-private-"+k).ID, ids[i])
	}

	// Adopted subnets are keyed by the zone AWS reports for them; a second
	// subnet in a zone gets no mount target of its own (EFS allows one per
	// zone). The engine puts ...2 and ...5 in zone c, ...1 in zone b.
	var adopted []string
	var subnets []any
	var was map[string]string
	require.NoError(t, mockengine.New(testCluster).Run(mockengine.WithAWS(testRegion, testAccount, func(ctx *pulumi.Context, p *aws.Provider) error {
		v, err := NewVpc(ctx, testCluster, &VpcArgs{ClusterName: testCluster, ID: "vpc-0a1b2c3d4e5f60718",
			PrivateSubnetIDs: []string{"subnet-0b22bb22bb22bb222", "subnet-0a11aa11aa11aa111", "subnet-0c33cc33cc33cc335"}}, pulumi.Providers(p))
		if err != nil {
			return err
		}
		adopted, was = v.PrivateSubnetKeys, v.PrivateSubnetKeyWas
		for _, k := range adopted {
			out, err := mockengine.Await(v.PrivateSubnets[k])
			if err != nil {
				return err
			}
			subnets = append(subnets, out[0])
		}
		return nil
	})))
	assert.Equal(t, []string{"eu-west-1c", "eu-west-1b"}, adopted, "one key per zone, in the file's order")
	assert.Equal(t, []any{"subnet-0b22bb22bb22bb222", "subnet-0a11aa11aa11aa111"}, subnets, "the first subnet of each zone")
	assert.Equal(t, map[string]string{"eu-west-1c": "subnet-0b22bb22bb22bb222", "eu-west-1b": "subnet-0a11aa11aa11aa111"}, was, "the keys they had before, for aliases")
}
