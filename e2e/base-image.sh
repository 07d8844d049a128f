#!/usr/bin/env bash
# Make the local stand-in for python:3.11-slim-bookworm (and so the Prometheus image's base):
# no image registry is reachable here, and podman uses a local image of the same name before it
# tries to pull (../shared/reference/containers.md).  A Debian bookworm minbase with Python 3.11,
# made with debootstrap (about 70 s), trusting the machine's locally added certificate
# authorities so pip, uv and apt inside builds reach the registries.  Cached: the image carries
# the hash of this script and is rebuilt only when the script changes or the image is missing.
# Needs root, debootstrap and podman.  Usage: e2e/base-image.sh [IMAGE]
set -euo pipefail
IMAGE=${1:-docker.io/library/python:3.11-slim-bookworm}
KEY=$(sha256sum "$0" | cut -c1-16)
have=$(podman image inspect --format '{{index .Labels "topstep.base-key"}}' "$IMAGE" 2>/dev/null || true)
if [ "$have" = "$KEY" ]; then
    echo "base image $IMAGE: cached (key $KEY)"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "base image: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
start=$(date +%s)
ROOT=$(mktemp -d /var/tmp/topstep-base.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
chmod 755 "$ROOT"  # a 0700 root makes tools inside the image fail in odd ways
echo "base image $IMAGE: debootstrap bookworm into $ROOT (about 70 s)"
debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,python3-dev,ca-certificates \
    bookworm "$ROOT" >"$ROOT.log" 2>&1 || { tail -20 "$ROOT.log" >&2; rm -f "$ROOT.log"; echo "base image: debootstrap failed" >&2; exit 1; }
rm -f "$ROOT.log"
# the official image's paths: python and pip in /usr/local/bin
ln -sf /usr/bin/python3 "$ROOT/usr/local/bin/python"
ln -sf /usr/bin/python3 "$ROOT/usr/local/bin/python3"
ln -sf /usr/bin/pip3 "$ROOT/usr/local/bin/pip"
# the machine's own certificate authorities (an egress proxy's, a corporate one)
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    chroot "$ROOT" update-ca-certificates >/dev/null 2>&1
fi
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
tar -C "$ROOT" -c . | podman import --quiet \
    --change "ENV PIP_BREAK_SYSTEM_PACKAGES=1" \
    --change "ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
    --change "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
    --change "ENV LANG=C.UTF-8" \
    --change "LABEL topstep.base-key=$KEY" \
    --change 'CMD ["python3"]' \
    - "$IMAGE" >/dev/null
echo "base image $IMAGE: built in $(( $(date +%s) - start )) s (key $KEY)"
