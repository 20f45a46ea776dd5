#!/usr/bin/env bash
# Builds gator, OPA Gatekeeper's policy authoring and test CLI, at the version
# tools/gator/go.mod pins (and go.sum locks), once per version into a cache
# outside the repository, and prints where it is:
#
#   ${EKSPLATFORM_CACHE:-~/.cache/eksplatform}/gator-<version>/gator
#
# The tests of components/policy run `gator verify` with it, so every policy
# is evaluated by Gatekeeper's own code (its Rego driver and its matching).
# Everything comes from the Go module proxy; it is built like upstream's
# release (CGO_ENABLED=0, the version stamped with -ldflags). A second run
# with the same version and go.sum is instant.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
log() { echo "gator: $*" >&2; }

command -v go >/dev/null 2>&1 || { log "go is not on PATH"; exit 1; }

module=github.com/open-policy-agent/gatekeeper/v3
want="$(cd "$here" && go list -m -f '{{.Version}}' "$module")"
if [[ ! "$want" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	log "tools/gator/go.mod must pin $module at an exact release (got '$want')"
	exit 1
fi

cache="${EKSPLATFORM_CACHE:-$HOME/.cache/eksplatform}"
dst="$cache/gator-$want"

# The version of gatekeeper a binary was built from, read from its build info.
built_version() {
	[[ -x "$1/gator" ]] || return 0
	go version -m "$1/gator" 2>/dev/null | awk -v m="$module" '($1 == "mod" || $1 == "dep") && $2 == m { print $3 }' || true
}

if [[ "$(built_version "$dst")" == "$want" ]] && cmp -s "$here/go.sum" "$dst/go.sum"; then
	log "$want is up to date"
	echo "$dst/gator"
	exit 0
fi

log "building $want into $dst"
mkdir -p "$cache"
rm -rf "$dst.tmp"
mkdir "$dst.tmp"
(cd "$here" && CGO_ENABLED=0 go build -trimpath \
	-ldflags "-X $module/pkg/version.Version=$want" \
	-o "$dst.tmp/gator" "$module/cmd/gator")
cp "$here/go.sum" "$dst.tmp/go.sum"
got="$(built_version "$dst.tmp")"
if [[ "$got" != "$want" ]]; then
	log "built gator from $module '$got', want $want"
	exit 1
fi
rm -rf "$dst" && mv "$dst.tmp" "$dst"
log "built $want"
echo "$dst/gator"
