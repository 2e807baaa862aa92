#!/bin/sh
# Installs the release named in /etc/webapp/release.env: fetch the Node.js runtime and the release
# from S3 with the instance role, verify their sha256, check that the runtime runs and reports its
# version and that the release needs no newer one, unpack them beside the others, switch the
# `current` symlink atomically, start the release's workers on the other port set while the current
# workers serve, move Apache's balancer to them through its balancer manager (no reload: no
# connection closes, requests in flight finish), wait until Apache serves the release, then stop the
# old workers. On any failure it exits non-zero, leaving the previous release in place and serving;
# with no previous release the instance stays unhealthy and the auto scaling group replaces it.
# Usage: webapp-install-release [settings-file]   (run by cloud-init at boot; safe to run again)
set -eu

SETTINGS=${1:-@RELEASE_SETTINGS_FILE@}
# shellcheck disable=SC1090
. "$SETTINGS"
# The two worker port sets, one worker per vCPU, as webapp-configure-workers laid them out at boot.
# shellcheck disable=SC1090
. "${WORKERS_FILE:?}"
: "${AWS_REGION:?}" "${RELEASE_BUCKET:?}" "${RELEASE_KEY:?}" "${RELEASE_VERSION_ID:?}" "${RELEASE_ID:?}" "${RELEASE_SHA256:?}"
: "${RUNTIME_KEY:?}" "${RUNTIME_VERSION_ID:?}" "${RUNTIME_SHA256:?}" "${NODE_VERSION:?}"
: "${SERVICE_PORTS_A:?}" "${SERVICE_PORTS_B:?}" "${APACHE_MEMBERS:?}" "${APACHE_PORT:?}" "${HEALTH_PATH:?}" "${VERSION_PATH:?}"
: "${BALANCER_MANAGER_URL:?}" "${BALANCER_MANAGER_AUTH_FILE:?}"
: "${WEBAPP_ROOT:?}" "${IMDS_ENDPOINT:?}" "${INSTANCE_ENV:?}" "${WORKER_UNIT_PREFIX:?}"
: "${HEALTH_TIMEOUT_SECONDS:=60}" "${RELEASES_KEPT:=3}"

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

# Answers 0 once every URL in $1 returns HTTP 200 (and, given $2, reports releaseId $2), 1 after
# HEALTH_TIMEOUT_SECONDS.
wait_healthy() {
  python3 - "$1" "${2:-}" "$HEALTH_TIMEOUT_SECONDS" <<'PY'
import json, sys, time, urllib.request
urls, release, deadline = set(sys.argv[1].split()), sys.argv[2], time.monotonic() + float(sys.argv[3])
def ready(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and (not release or json.load(response).get("releaseId") == release)
    except Exception:
        return False
while urls and time.monotonic() < deadline:
    urls = {url for url in urls if not ready(url)}
    if urls:
        time.sleep(0.1)
sys.exit(1 if urls else 0)
PY
}

# Runs `systemctl $1` on the worker of each port in $2, all at once (as systemd runs the jobs of
# one `systemctl` call); fails if any fails.
on_workers() {
  pids=
  for port in $2; do
    systemctl "$1" "$WORKER_UNIT_PREFIX$port.service" &
    pids="$pids $!"
  done
  status=0
  for pid in $pids; do
    wait "$pid" || status=1
  done
  return $status
}

# The port set Apache's balancer points at (the first, at boot, before any worker runs) and the other.
if cmp -s "$APACHE_MEMBERS" "${APACHE_MEMBERS%.conf}-b.conf"; then
  old_set=b old_ports=$SERVICE_PORTS_B next_set=a next_ports=$SERVICE_PORTS_A
else
  old_set=a old_ports=$SERVICE_PORTS_A next_set=b next_ports=$SERVICE_PORTS_B
fi

# Starts the workers on the next set while the current ones serve; 0 once each answers 200 itself.
start_next() {
  # A new release: the workers' compile caches hold the old one's code (the unit's CacheDirectory).
  for port in $next_ports; do rm -rf "/var/cache/private/$WORKER_UNIT_PREFIX$port" "/var/cache/$WORKER_UNIT_PREFIX$port"; done
  # A failed release's workers on this set may have used up systemd's start limit (Restart=on-failure,
  # five starts in ten seconds): a release installed right after would be refused "too quickly".
  on_workers reset-failed "$next_ports" >/dev/null 2>&1 || true
  on_workers restart "$next_ports" || return 1
  urls=
  for port in $next_ports; do urls="$urls http://127.0.0.1:$port$HEALTH_PATH"; done
  wait_healthy "$urls"
}

stop_set() {
  on_workers disable "$1" >/dev/null 2>&1 || true
  on_workers stop "$1" || true
}

# Points Apache's balancer at port set $1 (ports $2), away from the other (ports $3), without a
# reload: through the balancer manager, the next members are enabled first and the current ones
# disabled once Apache's own health check has passed each next member, in Apache's shared memory
# (every child sees it at the next request; requests in flight finish where they started; no
# connection closes). The health check skips disabled members, so a member can come back enabled
# with the error state it had when it was disabled (at boot, the first set is in error: nothing
# listened there); until the check clears it, the current members serve. The members file is switched first, so
# a later restart or reload comes up on the same set. The manager answers 200 even when it ignored
# a request (a wrong nonce or Referer), so the state is read back and checked.
point_apache_at() {
  cp "${APACHE_MEMBERS%.conf}-$1.conf" "$APACHE_MEMBERS.next" && mv -f "$APACHE_MEMBERS.next" "$APACHE_MEMBERS" || return 1
  python3 - "$BALANCER_MANAGER_URL" "$BALANCER_MANAGER_AUTH_FILE" "$2" "$3" <<'PY'
import base64, re, sys, time, urllib.parse, urllib.request
url, secret_file, enable, disable = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
with open(secret_file) as f:
    token = base64.b64encode(f"webapp-release:{f.read().strip()}".encode()).decode()
# The manager takes parameters only with a Referer naming the host it was asked as.
headers = {"Authorization": f"Basic {token}", "Referer": url}
def call(body=None):
    request = urllib.request.Request(url if body else f"{url}?b=webapp&xml=1", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()
def statuses():
    workers = re.findall(r"<httpd:name>http://127\.0\.0\.1:(\d+)</httpd:name>.*?<httpd:status>([^<]*)</httpd:status>", call(), re.S)
    return {port: status.split() for port, status in workers}
def set_disabled(ports, flag):
    for port in ports:
        call(urllib.parse.urlencode({"b": "webapp", "w": f"http://127.0.0.1:{port}", "nonce": nonce, "w_status_D": flag}).encode())
nonce = re.search(r"<httpd:nonce>([^<]+)</httpd:nonce>", call()).group(1)
set_disabled(enable, "0")
def usable():
    state = statuses()
    return all(port in state and not {"Err", "HcFl", "Dis", "Stop", "Drn"} & set(state[port]) for port in enable)
deadline = time.monotonic() + 10
while not usable():
    if time.monotonic() > deadline:
        sys.exit(f"Apache's health check did not pass ports {' '.join(enable)}: {statuses()}")
    time.sleep(0.1)
set_disabled(disable, "1")
state = statuses()
wrong = [port for port in enable if "Dis" in state.get(port, ["Dis"])] + [port for port in disable if "Dis" not in state.get(port, [])]
if wrong:
    sys.exit(f"the balancer manager left ports {' '.join(wrong)} as they were: {state}")
PY
}

# What /version reports about the instance, read once here as root through IMDSv2: the workers' unit
# lets them reach nothing but loopback, so that a compromised worker cannot take the instance role's
# credentials from the metadata service. Without it /version reports no instance; nothing else differs.
if [ ! -s "$INSTANCE_ENV" ]; then
  python3 - "$IMDS_ENDPOINT" "$INSTANCE_ENV" <<'PY' || log "could not read the instance's id and zone from $IMDS_ENDPOINT; /version reports none"
import os, sys, urllib.request
base, path = sys.argv[1].rstrip("/"), sys.argv[2]
def call(method, url, headers):
    with urllib.request.urlopen(urllib.request.Request(base + url, method=method, headers=headers), timeout=2) as response:
        return response.read().decode().strip()
token = {"X-aws-ec2-metadata-token": call("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})}
values = {"INSTANCE_ID": call("GET", "/latest/meta-data/instance-id", token), "AVAILABILITY_ZONE": call("GET", "/latest/meta-data/placement/availability-zone", token)}
with open(path + ".next", "w") as f:
    f.write("".join(f"{name}={value}\n" for name, value in values.items()))
os.replace(path + ".next", path)
PY
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
release_dir="$WEBAPP_ROOT/releases/$RELEASE_ID"
previous=$(readlink "$WEBAPP_ROOT/current" 2>/dev/null || true)

# At first boot the instance profile's credentials can lag (the CLI asks the metadata service once,
# for 1 s, by default), and IAM is eventually consistent: a just-attached policy can answer
# AccessDenied, which the CLI does not retry. So: more metadata attempts, the CLI's standard retries
# for throttling and 5xx, and a few tries of our own with backoff, well inside the grace period.
export AWS_METADATA_SERVICE_NUM_ATTEMPTS=5 AWS_METADATA_SERVICE_TIMEOUT=5 AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=5
: "${FETCH_ATTEMPTS:=5}" "${FETCH_FIRST_DELAY_SECONDS:=2}"
# Downloads version $2 of s3://$RELEASE_BUCKET/$1 to $4 and fails unless its sha256 is $3.
fetch_object() {
  log "fetching s3://$RELEASE_BUCKET/$1 (version $2)"
  attempt=1 delay=$FETCH_FIRST_DELAY_SECONDS
  until aws s3api get-object --region "$AWS_REGION" --bucket "$RELEASE_BUCKET" --key "$1" \
    --version-id "$2" "$4" >/dev/null 2>"$work/fetch.err"; do
    reason=$(tr -s '\n' ' ' <"$work/fetch.err" | tail -c 300)
    [ "$attempt" -lt "$FETCH_ATTEMPTS" ] || fail "could not download s3://$RELEASE_BUCKET/$1 after $attempt attempts: $reason"
    log "fetch attempt $attempt failed ($reason); trying again in ${delay}s"
    sleep "$delay"
    attempt=$((attempt + 1)) delay=$((delay * 2))
  done
  actual=$(sha256sum "$4" | cut -d' ' -f1)
  [ "$actual" = "$3" ] || fail "sha256 mismatch for $1: expected $3, got $actual"
  log "fetched $1, sha256 matches"
}

# The runtime: Node's official binary as the npm registry packs it (package/bin/node), kept per
# version and checksum; it must run here (the instance's architecture) and report NODE_VERSION.
runtime_name="node-v$NODE_VERSION-$(printf %.12s "$RUNTIME_SHA256")"
runtime_dir="$WEBAPP_ROOT/runtimes/$runtime_name"
if [ ! -x "$runtime_dir/bin/node" ]; then
  fetch_object "$RUNTIME_KEY" "$RUNTIME_VERSION_ID" "$RUNTIME_SHA256" "$work/runtime.tgz"
  mkdir "$work/runtime"
  tar -xzf "$work/runtime.tgz" -C "$work/runtime" --strip-components=1 --no-same-owner package/bin/node package/LICENSE \
    || fail "could not unpack the runtime $RUNTIME_KEY"
  reported=$("$work/runtime/bin/node" --version 2>&1) || fail "the runtime $RUNTIME_KEY does not run on this $(uname -m) machine: $reported"
  [ "$reported" = "v$NODE_VERSION" ] || fail "the runtime $RUNTIME_KEY reports $reported, not v$NODE_VERSION"
  chmod -R a+rX "$work/runtime"
  mkdir -p "$WEBAPP_ROOT/runtimes"
  mv "$work/runtime" "$runtime_dir"
  log "runtime node v$NODE_VERSION unpacked; it runs here"
fi

fetch_object "$RELEASE_KEY" "$RELEASE_VERSION_ID" "$RELEASE_SHA256" "$work/release.zip"

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

# The release runs on the runtime above, which must be at least what its build was made for.
needed=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["minimumNodeVersion"])' "$release_dir/manifest.json") \
  || fail "release $RELEASE_ID names no minimumNodeVersion in its manifest"
python3 -c 'import sys; have, need = (tuple(map(int, v.split("."))) for v in sys.argv[1:]); sys.exit(have < need)' "$NODE_VERSION" "$needed" \
  || fail "release $RELEASE_ID needs Node.js $needed or newer; the runtime named is $NODE_VERSION"
# current/node is what the workers' unit runs.
ln -sfn "../../runtimes/$runtime_name/bin/node" "$release_dir/node.next"
mv -T "$release_dir/node.next" "$release_dir/node"

# Atomic switch: rename(2) of a new symlink over the old one.
ln -sfn "releases/$RELEASE_ID" "$WEBAPP_ROOT/current.next"
mv -T "$WEBAPP_ROOT/current.next" "$WEBAPP_ROOT/current"
log "switched to release $RELEASE_ID"

# Puts the previous release back in `current` (when there is one) and fails with $1.
roll_back() {
  stop_set "$next_ports"
  if [ -n "$previous" ] && [ "$previous" != "releases/$RELEASE_ID" ]; then
    ln -sfn "$previous" "$WEBAPP_ROOT/current.next"
    mv -T "$WEBAPP_ROOT/current.next" "$WEBAPP_ROOT/current"
    fail "$1; still serving $previous"
  fi
  fail "$1"
}
start_next || roll_back "release $RELEASE_ID did not become healthy on ports $next_ports"
log "workers on ports $next_ports healthy"
if ! point_apache_at "$next_set" "$next_ports" "$old_ports" || ! wait_healthy "http://127.0.0.1:$APACHE_PORT$VERSION_PATH" "$RELEASE_ID"; then
  point_apache_at "$old_set" "$old_ports" "$next_ports" || true
  roll_back "Apache did not serve release $RELEASE_ID from ports $next_ports"
fi
log "release $RELEASE_ID is serving through Apache on port $APACHE_PORT"
stop_set "$old_ports"
# A reboot starts the set that serves now.
on_workers enable "$next_ports" >/dev/null 2>&1 || log "could not enable the workers on ports $next_ports for the next boot"
log "previous workers on ports $old_ports stopped"

# Keep the newest few releases for a quick manual rollback.
ls -1t "$WEBAPP_ROOT/releases" | tail -n +$((RELEASES_KEPT + 1)) | while read -r old; do
  [ "releases/$old" = "$(readlink "$WEBAPP_ROOT/current")" ] || rm -rf "${WEBAPP_ROOT:?}/releases/$old"
done
# ... and the runtimes they run on.
for kept in "$WEBAPP_ROOT"/runtimes/*; do
  name=${kept##*/}
  for link in "$WEBAPP_ROOT"/releases/*/node; do
    case $(readlink "$link" 2>/dev/null) in *"/$name/"*) continue 2 ;; esac
  done
  rm -rf "$kept"
done
