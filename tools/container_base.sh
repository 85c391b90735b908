#!/usr/bin/env bash
# The grader images' base, debian:bookworm-slim, for a machine that reaches Debian's package
# mirrors but no image registry: a minimal Debian bookworm made by debootstrap from Debian's
# own packages, imported under the name the Dockerfiles use. Needs root and podman (or docker).
#   tools/container_base.sh [podman|docker]
set -euo pipefail
engine="${1:-podman}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
command -v debootstrap > /dev/null || apt-get install -y -qq debootstrap > /dev/null
debootstrap --variant=minbase bookworm "$rootfs" "$mirror"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
tar -C "$rootfs" -c . | "$engine" import - docker.io/library/debian:bookworm-slim
