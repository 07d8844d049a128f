#!/usr/bin/env bash
# Build (once) the Debian bookworm root filesystem the appliance test boots with systemd-nspawn.
#
# Usage: e2e/rootfs.sh CACHE_DIR   -> prints the rootfs path.  The rootfs is cached under
# CACHE_DIR/rootfs-<hash of this script>, so editing this script rebuilds it and nothing else does.
# It holds only what a freshly installed host has before Ansible runs: systemd, sshd, Python 3.11
# with the modules Ansible needs on the target (python3-apt, python3-packaging for the pip module).
set -euo pipefail

cache=${1:?usage: e2e/rootfs.sh CACHE_DIR}
key=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
root="$cache/rootfs-$key"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9  # two runs at once: the second waits for the first's build and uses it
if [[ -f "$root/.complete" ]]; then
    echo "$root"
    exit 0
fi
build=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf --one-file-system "$build"' EXIT
chmod 0755 "$build"  # mktemp's 0700 root directory hangs the boot (systemd cannot read it)

echo "e2e: debootstrap bookworm into $build (cached as $root)" >&2
debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,dbus,openssh-server,python3,python3-venv,python3-apt,python3-packaging,ca-certificates,iproute2,procps,sqlite3 \
    bookworm "$build" http://deb.debian.org/debian >"$cache/.debootstrap.log" 2>&1 ||
    { tail -20 "$cache/.debootstrap.log" >&2; echo "e2e: debootstrap failed" >&2; exit 1; }

# The machine's locally added certificate authorities (a TLS-intercepting proxy, a corporate CA):
# without them apt and pip inside the container cannot reach the package registries.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$build/usr/local/share/ca-certificates/"
fi
chroot "$build" update-ca-certificates >/dev/null

# apt settings of the host that concern reaching its mirror (validity checks, proxies).
apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy) ' \
    >"$build/etc/apt/apt.conf.d/90host" || true
cat >"$build/etc/apt/sources.list" <<'SRC'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SRC

chroot "$build" ssh-keygen -A >/dev/null  # host keys (debootstrap's postinst may skip them)
rm -f "$build/etc/machine-id" && touch "$build/etc/machine-id"  # nspawn gives each boot its own
echo "tq-target" >"$build/etc/hostname"
# The container shares the host's network: nothing may listen on a fixed port by default.
chroot "$build" systemctl disable ssh.socket >/dev/null 2>&1 || true
chroot "$build" apt-get clean

touch "$build/.complete"
mv -T "$build" "$root"
trap - EXIT
echo "$root"
