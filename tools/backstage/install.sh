#!/usr/bin/env bash
# Installs Backstage's own catalog model (@backstage/catalog-model: the entity
# policies and kind validators the catalog backend runs on every entity it
# ingests) at the version pinned in tools/backstage/package.json (and
# package-lock.json), once per version into a cache outside the repository,
# with check.mjs beside it, and prints where it is:
#
#   ${EKSPLATFORM_CACHE:-~/.cache/eksplatform}/backstage-catalog-model-<version>/check.mjs
#
# The inventory's tests pipe the entities `eksplatform inventory --format
# backstage` writes through it. Everything comes from the npm registry. Needs
# node >= 20 and npm. A second run with the same version, lock file and
# check.mjs is instant.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
log() { echo "backstage: $*" >&2; }

for tool in node npm; do
	command -v "$tool" >/dev/null 2>&1 || { log "$tool is not on PATH; install Node.js 20 or later (with npm)"; exit 1; }
done
major="$(node -p 'process.versions.node.split(".")[0]')"
if ((major < 20)); then
	log "node $(node --version) is too old; the check needs node 20 or later"
	exit 1
fi

want="$(cd "$here" && node -p 'require("./package.json").dependencies["@backstage/catalog-model"]')"
if [[ ! "$want" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	log "tools/backstage/package.json must pin @backstage/catalog-model at an exact version (got '$want')"
	exit 1
fi

cache="${EKSPLATFORM_CACHE:-$HOME/.cache/eksplatform}"
dst="$cache/backstage-catalog-model-$want"

installed_version() {
	[[ -f "$1/node_modules/@backstage/catalog-model/package.json" ]] || return 0
	(cd "$1" && node -p 'require("./node_modules/@backstage/catalog-model/package.json").version' 2>/dev/null) || true
}

if [[ "$(installed_version "$dst")" == "$want" ]] && cmp -s "$here/package-lock.json" "$dst/package-lock.json" &&
	cmp -s "$here/check.mjs" "$dst/check.mjs"; then
	log "@backstage/catalog-model $want is up to date"
	echo "$dst/check.mjs"
	exit 0
fi

log "installing @backstage/catalog-model $want into $dst"
mkdir -p "$cache"
rm -rf "$dst.tmp"
mkdir "$dst.tmp"
cp "$here/package.json" "$here/package-lock.json" "$here/check.mjs" "$dst.tmp/"
(cd "$dst.tmp" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
got="$(installed_version "$dst.tmp")"
if [[ "$got" != "$want" ]]; then
	log "npm installed @backstage/catalog-model '$got', want $want"
	exit 1
fi
rm -rf "$dst" && mv "$dst.tmp" "$dst"
log "installed $want"
echo "$dst/check.mjs"
