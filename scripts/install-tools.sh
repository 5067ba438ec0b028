#!/usr/bin/env bash
# Installs the external tools the shipping tests need, from Debian's packages only.
#
#   scripts/install-tools.sh [prometheus] [containers] [kustomize] [awscli] [kubectl]   (default: all five)
#
#   prometheus  Debian's `prometheus` package: the `prometheus` and `promtool` binaries.
#               The package's service is never started (policy-rc.d denies it while
#               installing) and tests run their own `prometheus` on their own port.
#   containers  podman + runc + debootstrap (scripts/container-test.sh).
#   kustomize   a kustomize that supports components (kustomize >= 3.7): a `kustomize`
#               binary or `kubectl kustomize`. Debian 12's kubernetes-client (1.20) is
#               too old for components, and no registry we reach ships the binary, so
#               this step only verifies and fails loudly when neither is present.
#   awscli      the AWS CLI (`aws`), a real botocore client for the sandbox's SDK tests.
#               Verified only: it must honour AWS_ENDPOINT_URL_STS (v1 >= 1.29 with
#               botocore >= 1.31, or v2 >= 2.13), which Debian 12's `awscli` (2.9.19)
#               does not, so this step fails loudly and says how to get one (for example
#               `pip install awscli`, which puts v1 on a Python's PATH).
#   kubectl     Debian's `kubernetes-client` package when no `kubectl` is on PATH: the
#               e2e tests drive the sandbox's Kubernetes API emulator with the real client.
#
# Idempotent: installs nothing that is already there. Needs root for apt-get.
set -euo pipefail

log() { printf '[install-tools] %s\n' "$*" >&2; }
die() { printf '[install-tools] ERROR: %s\n' "$*" >&2; exit 1; }

APT_UPDATED=0
apt_install() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" == *'install ok installed'* ]] || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "need root to apt-get install ${missing[*]}"
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  # Keep package postinst scripts from starting services (no init system in CI
  # containers; our tests run their own processes). Restore any existing policy.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null || rc=$?
  [ "$created_policy" -eq 1 ] && rm -f "$policy"
  [ "$rc" -eq 0 ] || die "apt-get install ${missing[*]} failed (exit $rc)"
}

install_prometheus() {
  apt_install prometheus
  command -v promtool >/dev/null || die "promtool not on PATH after installing prometheus"
  command -v prometheus >/dev/null || die "prometheus not on PATH after installing prometheus"
  log "$(promtool --version 2>&1 | sed -n 1p)"
}

install_containers() {
  apt_install podman runc debootstrap ca-certificates
  command -v podman >/dev/null || die "podman not on PATH after install"
  command -v runc >/dev/null || die "runc not on PATH after install"
  command -v debootstrap >/dev/null || die "debootstrap not on PATH after install"
  log "$(podman --version)"
}

kustomize_supports_components() {
  # Components arrived in kustomize v3.7.0; any v4 or v5 has them.
  local version="$1"
  [[ "$version" =~ v([0-9]+)\.([0-9]+) ]] || return 1
  local major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
  [ "$major" -ge 4 ] || { [ "$major" -eq 3 ] && [ "$minor" -ge 7 ]; }
}

check_kustomize() {
  local version
  if command -v kustomize >/dev/null; then
    version="$(kustomize version 2>&1 | sed -n 1p)"
    kustomize_supports_components "$version" && { log "kustomize: $version"; return 0; }
    log "kustomize binary too old for components: $version"
  fi
  if command -v kubectl >/dev/null; then
    version="$(kubectl version --client 2>&1 | grep -i kustomize || true)"
    kustomize_supports_components "$version" && { log "kubectl kustomize: $version"; return 0; }
    log "kubectl's embedded kustomize too old or absent: ${version:-none}"
  fi
  die "no kustomize >= v3.7 found (need \`kustomize\` or \`kubectl kustomize\` on PATH). Debian 12's kubernetes-client embeds kustomize v2 (no components); install kubectl >= 1.21 or a kustomize v5 binary."
}

# The sandbox is reached through AWS_ENDPOINT_URL_STS, which the CLI honours from v1 1.29
# (botocore 1.31) and v2 2.13 on: the same test as test/e2e/sandbox-aws-cli.test.ts.
aws_honours_endpoint_url() {
  local version="$1"
  if [[ "$version" =~ aws-cli/1\.[^\ ]+\ .*botocore/1\.([0-9]+)\. ]]; then
    [ "${BASH_REMATCH[1]}" -ge 31 ]
  elif [[ "$version" =~ aws-cli/2\.([0-9]+)\. ]]; then
    [ "${BASH_REMATCH[1]}" -ge 13 ]
  else
    return 1
  fi
}

install_awscli() {
  local need="an AWS CLI that honours AWS_ENDPOINT_URL_STS (v1 >= 1.29 with botocore >= 1.31, or v2 >= 2.13) first on PATH"
  local how="for example \`pip install awscli\` (v1), or AWS's v2 installer (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html); Debian 12's awscli package (2.9.19) is too old"
  command -v aws >/dev/null || die "no aws on PATH: test/e2e/sandbox-aws-cli.test.ts and sandbox-app-sdk.test.ts need $need: $how"
  local version
  version="$(aws --version 2>&1 | sed -n 1p)"
  aws_honours_endpoint_url "$version" \
    || die "$version (at $(command -v aws)) ignores AWS_ENDPOINT_URL_STS, and the sandbox tests would fail: they need $need: $how"
  log "$version"
}

install_kubectl() {
  command -v kubectl >/dev/null || apt_install kubernetes-client
  command -v kubectl >/dev/null || die "kubectl not on PATH after installing kubernetes-client"
  log "$(kubectl version --client 2>&1 | sed -n 1p)"
}

main() {
  local groups=("$@")
  [ "${#groups[@]}" -gt 0 ] || groups=(prometheus containers kustomize awscli kubectl)
  local g
  for g in "${groups[@]}"; do
    case "$g" in
      prometheus) install_prometheus ;;
      containers) install_containers ;;
      kustomize) check_kustomize ;;
      awscli) install_awscli ;;
      kubectl) install_kubectl ;;
      *) die "unknown tool group '$g' (expected prometheus, containers, kustomize, awscli or kubectl)" ;;
    esac
  done
}

main "$@"
