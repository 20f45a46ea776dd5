// Command pulumi-resource-e2eslow is a resource provider for the end-to-end
// tests: its one resource, e2eslow:index:Slow, takes "seconds" to create and
// touches the file named by "marker" when its create (not a preview) starts (and writes its
// pid into $E2ESLOW_PID_DIR when it starts), so a test can
// interrupt a run while the engine has a step in flight. It keeps no state
// of its own: its id and outputs are its inputs.
package main

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const name = "e2eslow"

type slow struct {
	pulumirpc.UnimplementedResourceProviderServer
}

// main serves the provider on a loopback port and prints the port, which is
// how the engine finds a plugin's server.
func main() {
	if dir := os.Getenv("E2ESLOW_PID_DIR"); dir != "" {
		pid := strconv.Itoa(os.Getpid())
		_ = os.WriteFile(filepath.Join(dir, pid), []byte(pid), 0o600)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	srv := grpc.NewServer()
	pulumirpc.RegisterResourceProviderServer(srv, &slow{})
	fmt.Println(lis.Addr().(*net.TCPAddr).Port)
	if err := srv.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

func (*slow) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: "0.0.1"}, nil
}

func (*slow) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: true}, nil
}

func (*slow) CheckConfig(_ context.Context, r *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: r.GetNews()}, nil
}

func (*slow) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{}, nil
}

func (*slow) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: true}, nil
}

func (*slow) Check(_ context.Context, r *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: r.GetNews()}, nil
}

func (*slow) Diff(_ context.Context, r *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	change := pulumirpc.DiffResponse_DIFF_NONE
	var diffs []string
	olds := r.GetOldInputs().GetFields()
	if len(olds) == 0 {
		olds = r.GetOlds().GetFields()
	}
	news := r.GetNews().GetFields()
	for k, v := range news {
		if old, ok := olds[k]; !ok || old.String() != v.String() {
			diffs = append(diffs, k)
		}
	}
	for k := range olds {
		if _, ok := news[k]; !ok {
			diffs = append(diffs, k)
		}
	}
	if len(diffs) > 0 {
		change = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{Changes: change, Diffs: diffs}, nil
}

// Create waits "seconds", unless the engine cancels the call.
func (*slow) Create(ctx context.Context, r *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	props := r.GetProperties()
	if !r.GetPreview() {
		if marker := props.GetFields()["marker"].GetStringValue(); marker != "" {
			if err := os.WriteFile(marker, []byte(r.GetUrn()), 0o600); err != nil {
				return nil, err
			}
		}
		wait := time.Duration(props.GetFields()["seconds"].GetNumberValue() * float64(time.Second))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return &pulumirpc.CreateResponse{Id: "slow-" + r.GetUrn(), Properties: props}, nil
}

// Read finds every id: what it knows of a resource is what the engine
// sends (an import sends only the id), unless $E2ESLOW_DRIFT is set.
func (*slow) Read(_ context.Context, r *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	props := r.GetProperties()
	if props == nil || len(props.GetFields()) == 0 {
		props = r.GetInputs()
	}
	if props == nil {
		props = &structpb.Struct{Fields: map[string]*structpb.Value{}}
	}
	// $E2ESLOW_DRIFT makes the cloud differ from the state: the resource
	// reads back with "drift" set.
	inputs := r.GetInputs()
	if v := os.Getenv("E2ESLOW_DRIFT"); v != "" {
		props = &structpb.Struct{Fields: maps.Clone(props.GetFields())}
		props.Fields["drift"] = structpb.NewStringValue(v)
		inputs = &structpb.Struct{Fields: maps.Clone(inputs.GetFields())}
		inputs.Fields["drift"] = structpb.NewStringValue(v)
	}
	return &pulumirpc.ReadResponse{Id: r.GetId(), Properties: props, Inputs: inputs}, nil
}

func (*slow) Update(_ context.Context, r *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	return &pulumirpc.UpdateResponse{Properties: r.GetNews()}, nil
}

func (*slow) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (*slow) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
