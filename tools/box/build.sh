#!/usr/bin/env bash
# Builds the real parts of the cluster in a box (tests/box, make demo) once per
# version into a cache outside the repository, and prints where they are:
#
#   $EKSPLATFORM_BOX_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/eksplatform/box)
#     kubernetes-provider-<version>/pulumi-resource-kubernetes
#     kubernetes-<version>/{kube-apiserver,kube-controller-manager,kube-scheduler}
#     etcd-<version>/etcd
#     kwok-<version>/kwok
#
# Each part is built from its own wrapper module under tools/box/ (the
# upstream modules carry replace directives, so `go install mod@v` refuses
# them) at the version that module pins; a part already in the cache is not
# built again. Cold, on 2 cores: provider ≤ 35 min, Kubernetes ≤ 25 min,
# etcd and kwok a few minutes each (../shared/REAL-PARTS.md).
#
# Usage: tools/box/build.sh [part ...]   (no part: all of them)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${EKSPLATFORM_BOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eksplatform/box}"
mkdir -p "$cache"

# pinned MODULE_DIR MODULE: the version the wrapper module pins.
pinned() { (cd "$here/$1" && go list -m -f '{{.Version}}' "$2"); }

# build_into DIR BINARY... : builds each "name=package" into DIR atomically.
log() { echo "box: $*" >&2; }

part_kubernetes_provider() {
	local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
	local sdk=github.com/pulumi/pulumi-kubernetes/sdk/v4
	# The engine wants the plugin at exactly the version the program's SDK
	# (the project's go.mod) asks for; the provider build is stamped with it.
	local v; v="$(cd "$here/../.." && go list -m -f '{{.Version}}' "$sdk")"; v="${v#v}"
	local dst="$cache/kubernetes-provider-$v"
	if [[ -x "$dst/pulumi-resource-kubernetes" ]]; then echo "$dst"; return; fi
	log "building pulumi-resource-kubernetes $v from $mod@$(pinned kubernetes-provider "$mod") (≤ 35 min cold)"
	local tmp; tmp="$(mktemp -d)"
	cp "$here/kubernetes-provider/"{go.mod,go.sum,main.go,gen.go} "$tmp/"
	(
		cd "$tmp"
		# go list -m names a module's directory only once it is in the module
		# cache; on a fresh machine nothing has fetched it yet.
		go mod download "$mod"
		src="$(go list -m -f '{{.Dir}}' "$mod")"
		[[ -n "$src" ]] || { log "the module cache has no directory for $mod"; exit 1; }
		src="$src/cmd/pulumi-resource-kubernetes"
		VERSION="$v" go run gen.go "$src"
		go build -trimpath -ldflags "-X $mod/pkg/version.Version=$v" -o pulumi-resource-kubernetes .
	)
	mkdir -p "$dst.tmp" && mv "$tmp/pulumi-resource-kubernetes" "$dst.tmp/" && rm -rf "$tmp" "$dst" && mv "$dst.tmp" "$dst"
	echo "$dst"
}

part_kubernetes() {
	local mod=k8s.io/kubernetes
	local v; v="$(pinned kubernetes "$mod")"
	local dst="$cache/kubernetes-$v"
	if [[ -x "$dst/kube-apiserver" && -x "$dst/kube-controller-manager" && -x "$dst/kube-scheduler" ]]; then echo "$dst"; return; fi
	log "building kube-apiserver, kube-controller-manager, kube-scheduler $v (≤ 25 min cold)"
	local major minor; major="${v#v}"; major="${major%%.*}"; minor="${v#v*.}"; minor="${minor%%.*}"
	# Without the version stamped in, /version says v0.0.0-master.
	local pkg=k8s.io/component-base/version
	local ld="-X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
	mkdir -p "$dst.tmp"
	(
		cd "$here/kubernetes"
		for b in kube-apiserver kube-controller-manager kube-scheduler; do
			go build -trimpath -ldflags "$ld" -o "$dst.tmp/$b" "$mod/cmd/$b"
		done
	)
	rm -rf "$dst" && mv "$dst.tmp" "$dst"
	echo "$dst"
}

part_etcd() {
	local mod=go.etcd.io/etcd/server/v3
	local v; v="$(pinned etcd "$mod")"
	local dst="$cache/etcd-$v"
	if [[ -x "$dst/etcd" ]]; then echo "$dst"; return; fi
	log "building etcd $v (≈ 3 min cold)"
	mkdir -p "$dst.tmp"
	(cd "$here/etcd" && go build -trimpath -o "$dst.tmp/etcd" "$mod")
	rm -rf "$dst" && mv "$dst.tmp" "$dst"
	echo "$dst"
}

part_kwok() {
	local mod=sigs.k8s.io/kwok
	local v; v="$(pinned kwok "$mod")"
	local dst="$cache/kwok-$v"
	if [[ -x "$dst/kwok" && -s "$dst/stages.yaml" ]]; then echo "$dst"; return; fi
	log "building kwok $v"
	mkdir -p "$dst.tmp"
	(cd "$here/kwok" && go build -trimpath -ldflags "-X sigs.k8s.io/kwok/pkg/consts.Version=$v" -o "$dst.tmp/kwok" "$mod/cmd/kwok")
	# kwok runs no lifecycle without Stage objects; these are upstream's own
	# defaults at the pinned version (nodes become Ready and keep a heartbeat,
	# pods become Ready, complete and go away when deleted).
	local src; src="$(cd "$here/kwok" && go list -m -f '{{.Dir}}' "$mod")/kustomize/stage"
	local f first=1
	for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
		pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
		[[ $first -eq 1 ]] || echo "---" >>"$dst.tmp/stages.yaml"
		first=0
		cat "$src/$f" >>"$dst.tmp/stages.yaml"
	done
	rm -rf "$dst" && mv "$dst.tmp" "$dst"
	echo "$dst"
}

parts=("$@")
[[ ${#parts[@]} -gt 0 ]] || parts=(etcd kwok kubernetes kubernetes-provider)
for p in "${parts[@]}"; do
	case "$p" in
	kubernetes-provider) part_kubernetes_provider ;;
	kubernetes) part_kubernetes ;;
	etcd) part_etcd ;;
	kwok) part_kwok ;;
	*) echo "box: unknown part '$p' (allowed: kubernetes-provider kubernetes etcd kwok)" >&2; exit 2 ;;
	esac
done
