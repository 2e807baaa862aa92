#!/usr/bin/env bash
# Fills /opt/tf-plugins, the filesystem mirror terraform.tfrc reads, with the pinned AWS provider
# (on a CI runner that can reach the registry; the reference machine has the mirror already).
set -euo pipefail
version=${AWS_PROVIDER_VERSION:-5.100.0}
dir=$(mktemp -d)
cat >"$dir/main.tf" <<TF
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "$version" }
  }
}
TF
sudo mkdir -p /opt/tf-plugins && sudo chown "$(id -u)" /opt/tf-plugins
TF_CLI_CONFIG_FILE=/dev/null terraform -chdir="$dir" providers mirror -platform=linux_amd64 /opt/tf-plugins
