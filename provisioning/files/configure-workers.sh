#!/bin/sh
# Sets up one service worker per vCPU, at boot, before Apache starts: two port sets of that size
# (the current release's and the next one's, which a release switch alternates), Apache's balancer
# members for each, and a systemd unit per port. Writes the sets to workers.env for the install
# script. Safe to run again (a changed vCPU count takes effect at the next release switch).
# Usage: webapp-configure-workers [settings-file]   (run by cloud-init at boot)
set -eu

SETTINGS=${1:-/etc/webapp/release.env}
# shellcheck disable=SC1090
. "$SETTINGS"
: "${PORT_BASE_A:?}" "${PORT_BASE_B:?}" "${MAX_WORKERS:?}" "${APACHE_MEMBERS:?}"
: "${WEBAPP_ETC:=/etc/webapp}" "${SYSTEMD_UNIT_DIR:=/etc/systemd/system}"

# nproc counts the CPUs this process may run on: the instance's vCPUs (WORKERS overrides).
workers=${WORKERS:-$(nproc)}
[ "$workers" -ge 1 ] 2>/dev/null || { echo "webapp-configure-workers: WORKERS must be a whole number above 0, got '$workers'" >&2; exit 1; }
[ "$workers" -le "$MAX_WORKERS" ] || workers=$MAX_WORKERS

ports() { seq "$1" "$(($1 + workers - 1))" | tr '\n' ' ' | sed 's/ $//'; }
ports_a=$(ports "$PORT_BASE_A")
ports_b=$(ports "$PORT_BASE_B")

# Apache's members for one set, from the member line template (@PORT@ is each port).
members() {
  for port in $1; do sed "s/@PORT@/$port/g" "$WEBAPP_ETC/apache-member.conf.in"; done
}
members "$ports_a" >"${APACHE_MEMBERS%.conf}-a.conf"
members "$ports_b" >"${APACHE_MEMBERS%.conf}-b.conf"
# Until the first release is installed, Apache points at the first set (nothing listens there yet);
# after that, keep whichever set the install script chose, re-rendered for the new count.
if grep -q "127.0.0.1:$PORT_BASE_B\"" "$APACHE_MEMBERS" 2>/dev/null; then
  cp "${APACHE_MEMBERS%.conf}-b.conf" "$APACHE_MEMBERS"
else
  cp "${APACHE_MEMBERS%.conf}-a.conf" "$APACHE_MEMBERS"
fi

# A unit per worker port (plain units: the chroot boot test's systemctl stand-in cannot expand %i),
# each with its PORT, and any site-wide worker settings from worker.conf.d/.
mkdir -p "$SYSTEMD_UNIT_DIR"
for port in $ports_a $ports_b; do
  unit="$SYSTEMD_UNIT_DIR/webapp-$port.service"
  cp "$WEBAPP_ETC/webapp.service.in" "$unit"
  mkdir -p "$unit.d"
  sed "s/@PORT@/$port/g" "$WEBAPP_ETC/worker.conf.in" >"$unit.d/worker.conf"
  for extra in "$WEBAPP_ETC"/worker.conf.d/*.conf; do
    [ -f "$extra" ] && cp "$extra" "$unit.d/"
  done
done

printf 'WORKERS=%s\nSERVICE_PORTS_A="%s"\nSERVICE_PORTS_B="%s"\n' "$workers" "$ports_a" "$ports_b" >"$WEBAPP_ETC/workers.env"
echo "webapp-configure-workers: $workers worker(s) on ports $ports_a (next release: $ports_b)" >&2
