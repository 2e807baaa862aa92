#!/bin/sh
# Sets up one service worker per vCPU, at boot, before Apache starts: two port sets of that size
# (the current release's and the next one's, which a release switch alternates), Apache's balancer
# members (both sets, one disabled), the balancer manager's password, and a systemd unit per port.
# Writes the sets to workers.env for the install script. Safe to run again (a changed vCPU count
# takes effect at the next release switch).
# Usage: webapp-configure-workers [settings-file]   (run by cloud-init at boot)
set -eu

SETTINGS=${1:-@RELEASE_SETTINGS_FILE@}
# shellcheck disable=SC1090
. "$SETTINGS"
# Every name and path comes from the settings file, which the user data renders from one definition
# each (provisioning/render-user-data.ts); SYSTEMD_UNIT_DIR may be moved for a test.
: "${PORT_BASE_A:?}" "${PORT_BASE_B:?}" "${MAX_WORKERS:?}" "${APACHE_MEMBERS:?}" "${BALANCER_MANAGER_AUTH_FILE:?}" "${BALANCER_MANAGER_USERS_FILE:?}"
: "${WORKER_UNIT_PREFIX:?}" "${MEMBER_TEMPLATE:?}" "${UNIT_TEMPLATE:?}" "${DROPIN_TEMPLATE:?}" "${DROPIN_EXTRAS_DIR:?}" "${WORKERS_FILE:?}"
: "${SYSTEMD_UNIT_DIR:=/etc/systemd/system}"

# nproc counts the CPUs this process may run on: the instance's vCPUs (WORKERS overrides).
workers=${WORKERS:-$(nproc)}
[ "$workers" -ge 1 ] 2>/dev/null || { echo "webapp-configure-workers: WORKERS must be a whole number above 0, got '$workers'" >&2; exit 1; }
[ "$workers" -le "$MAX_WORKERS" ] || workers=$MAX_WORKERS

ports() { seq "$1" "$(($1 + workers - 1))" | tr '\n' ' ' | sed 's/ $//'; }
ports_a=$(ports "$PORT_BASE_A")
ports_b=$(ports "$PORT_BASE_B")

# Apache's members, from the member line template (@PORT@ is each port): the set in $1 serving, the
# set in $2 disabled. The -a file has set A serving, the -b file set B.
members() {
  for port in $1; do sed "s/@PORT@/$port/g" "$MEMBER_TEMPLATE"; done
  for port in $2; do sed "s/@PORT@/$port/g; s/\$/ status=+D/" "$MEMBER_TEMPLATE"; done
}
members "$ports_a" "$ports_b" >"${APACHE_MEMBERS%.conf}-a.conf"
members "$ports_b" "$ports_a" >"${APACHE_MEMBERS%.conf}-b.conf"
# Until the first release is installed, Apache points at the first set (nothing listens there yet);
# after that, keep whichever set the install script chose, re-rendered for the new count.
if grep "127.0.0.1:$PORT_BASE_B\"" "$APACHE_MEMBERS" 2>/dev/null | grep -qv 'status=+D'; then
  cp "${APACHE_MEMBERS%.conf}-b.conf" "$APACHE_MEMBERS"
else
  cp "${APACHE_MEMBERS%.conf}-a.conf" "$APACHE_MEMBERS"
fi

# The balancer manager's password: made once, readable by root alone; Apache's children check it
# against its bcrypt hash.
if [ ! -s "$BALANCER_MANAGER_AUTH_FILE" ] || [ ! -s "$BALANCER_MANAGER_USERS_FILE" ]; then
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$BALANCER_MANAGER_AUTH_FILE")
  out=$(htpasswd -ciB "$BALANCER_MANAGER_USERS_FILE" webapp-release <"$BALANCER_MANAGER_AUTH_FILE" 2>&1) \
    || { echo "webapp-configure-workers: htpasswd failed: $out" >&2; exit 1; }
  chgrp "${APACHE_GROUP:-www-data}" "$BALANCER_MANAGER_USERS_FILE" && chmod 0640 "$BALANCER_MANAGER_USERS_FILE"
fi

# A unit per worker port (plain units, each complete in itself),
# each with its PORT, and any site-wide worker settings from worker.conf.d/.
mkdir -p "$SYSTEMD_UNIT_DIR"
for port in $ports_a $ports_b; do
  unit="$SYSTEMD_UNIT_DIR/$WORKER_UNIT_PREFIX$port.service"
  cp "$UNIT_TEMPLATE" "$unit"
  mkdir -p "$unit.d"
  sed "s/@PORT@/$port/g" "$DROPIN_TEMPLATE" >"$unit.d/worker.conf"
  for extra in "$DROPIN_EXTRAS_DIR"/*.conf; do
    [ -f "$extra" ] && cp "$extra" "$unit.d/"
  done
done

printf 'WORKERS=%s\nSERVICE_PORTS_A="%s"\nSERVICE_PORTS_B="%s"\n' "$workers" "$ports_a" "$ports_b" >"$WORKERS_FILE"
echo "webapp-configure-workers: $workers worker(s) on ports $ports_a (next release: $ports_b)" >&2
