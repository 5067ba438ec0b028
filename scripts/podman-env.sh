# shellcheck shell=bash
# Sourced by the container scripts: points podman at its own configuration and
# storage (per notes: runc, not crun; ulimits the sandboxed kernel allows) without
# touching the machine's /etc/containers. Storage lives outside the work tree so the
# base image survives between runs (CI clones the repo afresh every time).
#
#   IRSA_PROBE_PODMAN_ROOT   where config and storage go (default /var/tmp/irsa-probe-podman)

IRSA_PROBE_PODMAN_ROOT="${IRSA_PROBE_PODMAN_ROOT:-/var/tmp/irsa-probe-podman}"
mkdir -p "$IRSA_PROBE_PODMAN_ROOT/storage" "$IRSA_PROBE_PODMAN_ROOT/run" "$IRSA_PROBE_PODMAN_ROOT/tmp"

cat >"$IRSA_PROBE_PODMAN_ROOT/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

cat >"$IRSA_PROBE_PODMAN_ROOT/storage.conf" <<CONF
[storage]
driver = "overlay"
runroot = "$IRSA_PROBE_PODMAN_ROOT/run"
graphroot = "$IRSA_PROBE_PODMAN_ROOT/storage"
CONF

export CONTAINERS_CONF="$IRSA_PROBE_PODMAN_ROOT/containers.conf"
export CONTAINERS_STORAGE_CONF="$IRSA_PROBE_PODMAN_ROOT/storage.conf"
export TMPDIR="$IRSA_PROBE_PODMAN_ROOT/tmp"
