// The Pulumi program of the project: `pulumi up -s <cluster>` from the repo
// root runs the cluster named by the stack, as declared in environments/.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/stacks"
)

func main() {
	pulumi.Run(stacks.FromEnvironments("environments"))
}
