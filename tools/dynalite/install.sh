#!/usr/bin/env bash
# Installs dynalite, an independent implementation of the DynamoDB API that
# the tests of automation/audit start on loopback, at the version pinned in
# tools/dynalite/package.json (and package-lock.json), once per version into
# a cache outside the repository, and prints where it is:
#
#   ${EKSPLATFORM_CACHE:-~/.cache/eksplatform}/dynalite-<version>/node_modules/dynalite/cli.js
#
# Everything comes from the npm registry: the native LevelDB binding
# (classic-level) ships its prebuilt binaries inside its npm package, so
# nothing is downloaded or compiled from anywhere else. Needs node >= 20 and
# npm. A second run with the same version and lock file is instant.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
log() { echo "dynalite: $*" >&2; }

for tool in node npm; do
	command -v "$tool" >/dev/null 2>&1 || { log "$tool is not on PATH; install Node.js 20 or later (with npm)"; exit 1; }
done
major="$(node -p 'process.versions.node.split(".")[0]')"
if ((major < 20)); then
	log "node $(node --version) is too old; dynalite 4 needs node 20 or later"
	exit 1
fi

want="$(cd "$here" && node -p 'require("./package.json").dependencies.dynalite')"
if [[ ! "$want" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	log "tools/dynalite/package.json must pin dynalite at an exact version (got '$want')"
	exit 1
fi

cache="${EKSPLATFORM_CACHE:-$HOME/.cache/eksplatform}"
dst="$cache/dynalite-$want"

installed_version() {
	[[ -f "$1/node_modules/dynalite/package.json" ]] || return 0
	(cd "$1" && node -p 'require("./node_modules/dynalite/package.json").version' 2>/dev/null) || true
}

if [[ "$(installed_version "$dst")" == "$want" ]] && cmp -s "$here/package-lock.json" "$dst/package-lock.json"; then
	log "$want is up to date"
	echo "$dst"
	exit 0
fi

log "installing $want into $dst"
mkdir -p "$cache"
rm -rf "$dst.tmp"
mkdir "$dst.tmp"
cp "$here/package.json" "$here/package-lock.json" "$dst.tmp/"
(cd "$dst.tmp" && npm ci --no-audit --no-fund --loglevel=error >&2)
got="$(installed_version "$dst.tmp")"
if [[ "$got" != "$want" ]]; then
	log "npm installed dynalite '$got', want $want"
	exit 1
fi
rm -rf "$dst" && mv "$dst.tmp" "$dst"
log "installed $want"
echo "$dst"
