#!/bin/sh
# Installs the release named in /etc/webapp/release.env: fetch it from S3 with the instance role,
# verify its sha256, unpack it beside the others, switch the `current` symlink atomically, restart
# the workers one at a time (Apache's balancer sends traffic to the other meanwhile) and wait until
# the health path answers 200 through Apache. On any failure it exits non-zero, leaving the previous
# release in place and serving; with no previous release the instance stays unhealthy and the
# auto scaling group replaces it.
# Usage: webapp-install-release [settings-file]   (run by cloud-init at boot; safe to run again)
set -eu

SETTINGS=${1:-/etc/webapp/release.env}
# shellcheck disable=SC1090
. "$SETTINGS"
: "${AWS_REGION:?}" "${RELEASE_BUCKET:?}" "${RELEASE_KEY:?}" "${RELEASE_VERSION_ID:?}" "${RELEASE_ID:?}" "${RELEASE_SHA256:?}"
: "${SERVICE_PORTS:?}" "${APACHE_PORT:?}" "${HEALTH_PATH:?}" "${BALANCER_SETTLE_SECONDS:=1.5}" "${WEBAPP_ROOT:=/opt/webapp}" "${HEALTH_TIMEOUT_SECONDS:=60}" "${RELEASES_KEPT:=3}"

started_ns=$(date +%s%N)
# Each line carries the time since the script started, so a slow phase shows.
log() {
  set -- "[+$((($(date +%s%N) - started_ns) / 1000000))ms] $*"
  echo "webapp-install-release: $*" >&2
  command -v logger >/dev/null 2>&1 && logger -t webapp-install-release -- "$*" || true
}
fail() {
  log "FAILED: $*"
  exit 1
}

# Answers 0 once $1 returns HTTP 200, 1 after HEALTH_TIMEOUT_SECONDS.
wait_healthy() {
  python3 - "$1" "$HEALTH_TIMEOUT_SECONDS" <<'PY'
import sys, time, urllib.request
url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.2)
sys.exit(1)
PY
}

# One worker at a time: each drains (Apache's health check takes it out), restarts, turns healthy,
# and Apache's health check takes it back in before the next one goes (not needed after the last).
restart_workers() {
  settle=
  for port in $SERVICE_PORTS; do
    [ -z "$settle" ] || sleep "$settle"
    systemctl restart "webapp-$port.service" || return 1
    wait_healthy "http://127.0.0.1:$port$HEALTH_PATH" || return 1
    log "worker on port $port restarted and healthy"
    settle=$BALANCER_SETTLE_SECONDS
  done
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
release_dir="$WEBAPP_ROOT/releases/$RELEASE_ID"
previous=$(readlink "$WEBAPP_ROOT/current" 2>/dev/null || true)

log "fetching s3://$RELEASE_BUCKET/$RELEASE_KEY (version $RELEASE_VERSION_ID)"
aws s3api get-object --region "$AWS_REGION" --bucket "$RELEASE_BUCKET" --key "$RELEASE_KEY" \
  --version-id "$RELEASE_VERSION_ID" "$work/release.zip" >/dev/null \
  || fail "could not download s3://$RELEASE_BUCKET/$RELEASE_KEY"
actual=$(sha256sum "$work/release.zip" | cut -d' ' -f1)
[ "$actual" = "$RELEASE_SHA256" ] || fail "sha256 mismatch for $RELEASE_KEY: expected $RELEASE_SHA256, got $actual"
log "fetched, sha256 matches"

if [ ! -d "$release_dir" ]; then
  mkdir -p "$WEBAPP_ROOT/releases"
  python3 -m zipfile -e "$work/release.zip" "$work/unpacked" || fail "could not unpack the release"
  # Every file must match the manifest the build wrote, and the manifest must name this release.
  python3 - "$work/unpacked" "$RELEASE_ID" <<'PY' || fail "the release does not match its manifest"
import hashlib, json, pathlib, sys
root, release_id = pathlib.Path(sys.argv[1]), sys.argv[2]
manifest = json.loads((root / "manifest.json").read_text())
assert manifest["releaseId"] == release_id, f"manifest names release {manifest['releaseId']}"
for name, digest in manifest["files"].items():
    assert hashlib.sha256((root / name).read_bytes()).hexdigest() == digest, f"{name} differs"
PY
  chmod -R a+rX "$work/unpacked"
  mv "$work/unpacked" "$release_dir"
  log "unpacked, every file matches the manifest"
fi

# Atomic switch: rename(2) of a new symlink over the old one.
ln -sfn "releases/$RELEASE_ID" "$WEBAPP_ROOT/current.next"
mv -T "$WEBAPP_ROOT/current.next" "$WEBAPP_ROOT/current"
log "switched to release $RELEASE_ID"

if ! restart_workers || ! wait_healthy "http://127.0.0.1:$APACHE_PORT$HEALTH_PATH"; then
  if [ -n "$previous" ] && [ "$previous" != "releases/$RELEASE_ID" ]; then
    ln -sfn "$previous" "$WEBAPP_ROOT/current.next"
    mv -T "$WEBAPP_ROOT/current.next" "$WEBAPP_ROOT/current"
    restart_workers || true
    fail "release $RELEASE_ID did not become healthy; back on $previous"
  fi
  fail "release $RELEASE_ID did not become healthy"
fi

# Keep the newest few releases for a quick manual rollback.
ls -1t "$WEBAPP_ROOT/releases" | tail -n +$((RELEASES_KEPT + 1)) | while read -r old; do
  [ "releases/$old" = "$(readlink "$WEBAPP_ROOT/current")" ] || rm -rf "${WEBAPP_ROOT:?}/releases/$old"
done
log "release $RELEASE_ID is serving through Apache on port $APACHE_PORT"
