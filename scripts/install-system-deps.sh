#!/usr/bin/env bash
# Installs the Debian packages the real-component tests and the benchmarks run: Apache (the proxy in
# front of the service), debootstrap and systemd-container (the Debian 13 root filesystem of the boot
# test, and systemd-nspawn, which boots it with systemd as PID 1), and mod_wsgi
# with Flask (the old stack the app-tier benchmark compares against), g++ and make (scripts/node-pty.sh
# compiles the cdktf CLI's terminal module for the pinned Node 24). Terraform and the AWS
# provider mirror come with the machine image and are checked here.
# Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(apache2 debootstrap systemd-container libapache2-mod-wsgi-py3 python3-flask g++ make)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing ${missing[*]}" >&2
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v terraform >/dev/null || { echo "terraform is missing: the machine image should carry Terraform >= 1.11" >&2; exit 1; }
[ -d /opt/tf-plugins/registry.terraform.io/hashicorp/aws/5.100.0 ] \
  || { echo "the AWS provider 5.100.0 mirror is missing under /opt/tf-plugins" >&2; exit 1; }
