#!/usr/bin/env bash
# Prints the path of a cached tarball of a Debian 13 (trixie) root filesystem built like Debian's
# own EC2 image, building it on first use, for the boot test and the boot benchmark (booted with
# systemd as PID 1 under systemd-nspawn).
#
# Like the image (debian-cloud-images, config_space/13, last Debian commit 36cd5fc, 2026-06-02):
# debootstrap minbase from https://deb.debian.org/debian, then without Recommends the packages of
# the classes an EC2 image has (CLOUD, EC2, SYSTEM_BOOT, TIME_SYSTEMD, EXTRAS), the image's apt
# sources (deb and deb-src for trixie, -updates, -backports and -security, https mirror lists), its
# cloud-init settings (01_debian_cloud.cfg) and empty package lists, as the image's cleanup leaves them.
# Left out, because a container boots on the host's kernel: linux-image-cloud-*, grub-cloud-* and
# dosfstools. Changed for the container (the only differences from the image, each a stand-in):
#   - cloud-init's failsafe mirrors are deb.debian.org instead of cdn-aws.deb.debian.org (AWS's
#     mirror, not reachable from here); still https;
#   - the container shares the host's network, which it must not reconfigure: systemd-networkd,
#     systemd-resolved and ssh are masked and cloud-init's network configuration is off
#     (nspawn gives the container the host's resolv.conf);
#   - the NoCloud datasource (the boot machine writes the seed) instead of EC2's.
# Usage: scripts/debian-rootfs.sh   (cache: ${WEBAPP_CACHE_DIR:-~/.cache/cdktf-aws-webapp})
set -euo pipefail

SUITE=trixie
MIRROR=${DEBIAN_MIRROR:-https://deb.debian.org/debian}
# The image's package classes (config_space/13/package_config), kernel and bootloader left out.
CLOUD="openssh-server ssh-import-id cloud-initramfs-growroot"
EC2="awscli cloud-init cloud-guest-utils amazon-ec2-utils"
SYSTEM_BOOT="sudo e2fsprogs libpam-systemd systemd-resolved libnss-resolve libnss-myhostname netplan.io polkitd
  unattended-upgrades apparmor zstd apt-utils init iptables iputils-ping linux-sysctl-defaults less nano netbase vim-tiny
  whiptail systemd-timesyncd"
EXTRAS="apt-listchanges bash-completion bind9-host less man-db manpages socat pciutils reportbug traceroute vim psmisc
  tcpdump ca-certificates curl ethtool uuid-runtime screen xz-utils"
cache=${WEBAPP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cdktf-aws-webapp}
# The name changes with this script, so an edited recipe never reuses an old tarball.
recipe=$(sha256sum "$0" | cut -c1-12)
tarball="$cache/debian-$SUITE-ec2-$recipe.tar.gz"

if [ -f "$tarball" ]; then echo "$tarball"; exit 0; fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "building a root filesystem needs root" >&2; exit 1; }

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
root="$work/rootfs"
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  [ -n "${KEEP_BUILD:-}" ] || rm -rf --one-file-system "$work"
}
trap cleanup EXIT
put() { mkdir -p "$(dirname "$root/$1")" && cat >"$root/$1"; }

echo "building $tarball (debootstrap $SUITE from $MIRROR, then the EC2 image's packages)" >&2
debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
# Package scripts must not start services while the image is built.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
# This machine's network intercepts TLS with its own certificate authority, which the host trusts:
# the root filesystem trusts what the host trusts beyond Debian's set (a stand-in; none on EC2).
python3 - /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt" "$root/usr/local/share/ca-certificates" <<'PY'
import re, sys
certs = lambda path: set(re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", open(path).read(), re.S))
for index, cert in enumerate(sorted(certs(sys.argv[1]) - certs(sys.argv[2]))):
    open(f"{sys.argv[3]}/host-{index}.crt", "w").write(cert + "\n")
PY
chroot "$root" update-ca-certificates >/dev/null

# The image's apt sources: deb822, deb and deb-src, mirror lists (config_space/13/files/etc/apt).
echo '# See /etc/apt/sources.list.d/debian.sources' | put etc/apt/sources.list
put etc/apt/sources.list.d/debian.sources <<EOF
Types: deb deb-src
URIs: mirror+file:///etc/apt/mirrors/debian.list
Suites: $SUITE $SUITE-updates $SUITE-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: mirror+file:///etc/apt/mirrors/debian-security.list
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
echo https://deb.debian.org/debian | put etc/apt/mirrors/debian.list
echo https://deb.debian.org/debian-security | put etc/apt/mirrors/debian-security.list

packages=$(echo $CLOUD $EC2 $SYSTEM_BOOT $EXTRAS) # one line
chroot "$root" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages" \
  >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log" >&2; exit 1; }

# The image's cloud-init settings (EC2's 01_debian_cloud.cfg), failsafe mirrors as said above.
put etc/cloud/cloud.cfg.d/01_debian_cloud.cfg <<'EOF'
apt:
  generate_mirrorlists: true

system_info:
  default_user:
    name: admin
    sudo: ALL=(ALL) NOPASSWD:ALL
    shell: /bin/bash
    lock_passwd: True
    gecos: Debian
    groups: [adm, audio, cdrom, dialout, dip, floppy, plugdev, sudo, video]

  package_mirrors:
  - arches: [default]
    failsafe:
      primary: https://deb.debian.org/debian
      security: https://deb.debian.org/debian-security
EOF
echo 'LANG=C.UTF-8' | put etc/default/locale
# Stand-ins for the container (see the top of this file).
printf 'network:\n  config: disabled\n' | put etc/cloud/cloud.cfg.d/05_container_network.cfg
for unit in systemd-networkd.service systemd-networkd.socket systemd-networkd-varlink.socket systemd-resolved.service \
  ssh.service ssh.socket; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
rm -f "$root/etc/resolv.conf"

# The image's cleanup (config_space/13/scripts/LAST/10-cleanup): no package lists, no host keys, no machine id.
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/etc/ssh/ssh_host_* "$root/usr/sbin/policy-rc.d" "$root/var/log/apt" \
  "$root"/var/log/dpkg.log "$root"/var/log/bootstrap.log "$root"/var/log/alternatives.log
: >"$root/etc/machine-id"
: >"$root/etc/hostname"
umount "$root/proc"
tar -C "$root" -czf "$work/rootfs.tar.gz" .
mv "$work/rootfs.tar.gz" "$tarball"
# Older recipes are of no use any more.
find "$cache" -maxdepth 1 -name "debian-$SUITE-*.tar.gz" ! -name "$(basename "$tarball")" -delete
echo "$tarball"
