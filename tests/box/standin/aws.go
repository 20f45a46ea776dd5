package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/eksplatform/eksplatform/internal/awsanswers"
)

var marshal = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, marshal)
}

func marshalled(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshal)
}

// awsProvider stands in for pulumi-aws: every resource type is accepted,
// created with the outputs awsanswers gives it and kept in the engine's state.
type awsProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	version string

	mu      sync.Mutex
	account awsanswers.Account
}

func (p *awsProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.version}, nil
}

func (*awsProvider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: true}, nil
}

func (*awsProvider) CheckConfig(_ context.Context, r *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: r.GetNews()}, nil
}

// DiffConfig reports a changed region or account as a replacement of every
// resource, as pulumi-aws does.
func (*awsProvider) DiffConfig(_ context.Context, r *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news, err := inputsOf(r)
	if err != nil {
		return nil, err
	}
	var diffs, replaces []string
	for _, k := range []resource.PropertyKey{"region", "allowedAccountIds", "assumeRole"} {
		if !olds[k].DeepEquals(news[k]) {
			diffs = append(diffs, string(k))
			if k != "assumeRole" {
				replaces = append(replaces, string(k))
			}
		}
	}
	if len(diffs) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: diffs, Replaces: replaces}, nil
}

func (p *awsProvider) Configure(_ context.Context, r *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	args, err := unmarshal(r.GetArgs())
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		args = resource.PropertyMap{}
		for k, v := range r.GetVariables() { //nolint:staticcheck // engines that send no args send the variables
			// aws:region, aws:allowedAccountIds
			if i := len("aws:"); len(k) > i && k[:i] == "aws:" {
				args[resource.PropertyKey(k[i:])] = resource.NewProperty(v)
			}
		}
	}
	p.mu.Lock()
	p.account = awsanswers.AccountOf(args)
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: true}, nil
}

func (p *awsProvider) acct() awsanswers.Account {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.account
}

func (*awsProvider) Check(_ context.Context, r *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: r.GetNews()}, nil
}

// Diff compares the inputs the resource was created or last updated with to
// the program's; a changed property that only AWS's Create call takes
// (awsanswers.Replaces) is a replacement.
func (*awsProvider) Diff(_ context.Context, r *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news, err := inputsOf(r)
	if err != nil {
		return nil, err
	}
	var diffs []string
	for k, v := range news {
		if !v.DeepEquals(olds[k]) {
			diffs = append(diffs, string(k))
		}
	}
	for k := range olds {
		if _, ok := news[k]; !ok {
			diffs = append(diffs, string(k))
		}
	}
	trace("Diff %s: olds %d inputs, news %d inputs, diffs %v", r.GetUrn(), len(olds), len(news), diffs)
	if len(diffs) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	var replaces []string
	for _, k := range awsanswers.ReplaceKeys(typeOf(r.GetUrn()), olds, news) {
		replaces = append(replaces, string(k))
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: diffs, Replaces: replaces}, nil
}

// Create answers a preview with the inputs alone (everything the cloud
// computes is unknown until it runs) and a create with the table's outputs
// under a new id.
func (p *awsProvider) Create(ctx context.Context, r *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	inputs, err := unmarshal(r.GetProperties())
	if err != nil {
		return nil, err
	}
	if r.GetPreview() {
		return &pulumirpc.CreateResponse{Properties: r.GetProperties()}, nil
	}
	urn := resource.URN(r.GetUrn())
	res := awsanswers.Resource{
		URN: string(urn), Type: string(urn.Type()), Name: urn.Name(),
		ID:     awsanswers.ShortID(string(urn) + "@" + strconv.FormatInt(time.Now().UnixNano(), 10)),
		Inputs: inputs,
	}
	out, err := awsanswers.Create(&res, p.acct())
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", res.Type, res.Name, err)
	}
	if err := launch(ctx, res.Type, res.ID, inputs, out); err != nil {
		return nil, err
	}
	props, err := marshalled(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: res.ID, Properties: props}, nil
}

// Read finds every resource as the state has it: nothing here changes AWS
// behind the engine's back, so a refresh finds no drift.
func (*awsProvider) Read(_ context.Context, r *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: r.GetId(), Properties: r.GetProperties(), Inputs: r.GetInputs()}, nil
}

// Update keeps what the cloud computed and takes the new inputs.
func (*awsProvider) Update(_ context.Context, r *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := unmarshal(r.GetOlds())
	if err != nil {
		return nil, err
	}
	oldInputs, err := unmarshal(r.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(r.GetNews())
	if err != nil {
		return nil, err
	}
	out := awsanswers.Update(typeOf(r.GetUrn()), olds, oldInputs, news, r.GetPreview())
	props, err := marshalled(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Delete forgets the resource (the engine drops it from the state) and
// takes a node group's instances out of the box.
func (*awsProvider) Delete(ctx context.Context, r *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	props, err := unmarshal(r.GetProperties())
	if err != nil {
		return nil, err
	}
	if err := terminate(ctx, typeOf(r.GetUrn()), r.GetId(), props); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (p *awsProvider) Invoke(_ context.Context, r *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := unmarshal(r.GetArgs())
	if err != nil {
		return nil, err
	}
	out, err := awsanswers.Invoke(r.GetTok(), args, p.acct())
	if err != nil {
		// A data source the table cannot answer fails the program with
		// the reason, as the engine reports an invoke's check failures.
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil //nolint:nilerr // reported through Failures
	}
	ret, err := marshalled(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

func (*awsProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// inputsOf are the inputs a diff compares: those the resource was created
// or last updated with, and the program's.
func inputsOf(r *pulumirpc.DiffRequest) (olds, news resource.PropertyMap, err error) {
	if olds, err = unmarshal(r.GetOldInputs()); err != nil {
		return nil, nil, err
	}
	news, err = unmarshal(r.GetNews())
	return olds, news, err
}

func typeOf(urn string) string { return string(resource.URN(urn).Type()) }
