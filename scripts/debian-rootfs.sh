#!/usr/bin/env bash
# Prints the path of a cached tarball of a minimal Debian 13 (trixie) root filesystem for the boot
# test, building it on first use: debootstrap minbase from the Debian archive, plus what stands in
# for the EC2 machine around our user data: cloud-init (which runs the user data, as on EC2),
# ca-certificates, and the `systemctl` package (a systemctl for machines without systemd as PID 1,
# since a chroot has none). Everything the user data installs comes from the archive at test time.
# Usage: scripts/debian-rootfs.sh   (cache: ${WEBAPP_CACHE_DIR:-~/.cache/cdktf-aws-webapp})
set -euo pipefail

SUITE=trixie
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
EXTRA_PACKAGES="cloud-init systemctl ca-certificates"
cache=${WEBAPP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cdktf-aws-webapp}
# The name changes with this script, so an edited recipe never reuses an old tarball.
recipe=$(sha256sum "$0" | cut -c1-12)
tarball="$cache/debian-$SUITE-minbase-$recipe.tar.gz"

if [ -f "$tarball" ]; then echo "$tarball"; exit 0; fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "building a root filesystem needs root" >&2; exit 1; }

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
cleanup() {
  umount "$work/rootfs/proc" 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

echo "building $tarball (debootstrap $SUITE from $MIRROR)" >&2
debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
# Package scripts must not start services in a chroot.
printf '#!/bin/sh\nexit 101\n' >"$work/rootfs/usr/sbin/policy-rc.d"
chmod 755 "$work/rootfs/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$work/rootfs/etc/resolv.conf"
mount -t proc proc "$work/rootfs/proc"
chroot "$work/rootfs" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $EXTRA_PACKAGES" >"$work/apt.log" 2>&1 \
  || { tail -20 "$work/apt.log" >&2; exit 1; }
chroot "$work/rootfs" apt-get clean
umount "$work/rootfs/proc"
tar -C "$work/rootfs" -czf "$work/rootfs.tar.gz" .
mv "$work/rootfs.tar.gz" "$tarball"
# Older recipes are of no use any more.
find "$cache" -maxdepth 1 -name "debian-$SUITE-minbase-*.tar.gz" ! -name "$(basename "$tarball")" -delete
echo "$tarball"
