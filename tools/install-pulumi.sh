#!/usr/bin/env bash
# Installs the Pulumi CLI the driver and its end-to-end tests need, at the
# version pinned in tools/go.mod, as bin/pulumi:
#   1. bin/pulumi already at the version: nothing to do (a second run is instant);
#   2. a `pulumi` on PATH at the version: link it as bin/pulumi;
#   3. otherwise build it from tools/ (about 8 minutes cold on 2 cores).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
want="$(cd "$root/tools" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
if [[ ! "$want" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "cannot read the pinned Pulumi version from tools/go.mod (got '$want')" >&2
	exit 1
fi
bin="$root/bin"
mkdir -p "$bin"

version_of() { "$1" version 2>/dev/null | tr -d '[:space:]' || true; }

if [[ -x "$bin/pulumi" && "$(version_of "$bin/pulumi")" == "$want" ]]; then
	echo "pulumi $want: bin/pulumi is up to date"
	exit 0
fi

if found="$(PATH="${PATH//$bin:/}" command -v pulumi 2>/dev/null)" && [[ "$found" != "$bin/pulumi" ]] &&
	[[ "$(version_of "$found")" == "$want" ]]; then
	ln -sf "$found" "$bin/pulumi"
	echo "pulumi $want: using $found"
	exit 0
fi

echo "pulumi $want: building bin/pulumi from tools/ (takes several minutes on a cold cache)"
cd "$root/tools"
# Without the version stamped in, `pulumi version` prints nothing and the
# Automation API refuses the CLI.
go build -trimpath \
	-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$want" \
	-o "$bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$bin/pulumi.tmp" "$bin/pulumi"
got="$(version_of "$bin/pulumi")"
if [[ "$got" != "$want" ]]; then
	echo "built bin/pulumi reports version '$got', want $want" >&2
	exit 1
fi
echo "pulumi $want: built bin/pulumi"
