#!/usr/bin/env bash
# Installs the system packages the test suite drives for real (Debian): Chromium for the
# end-to-end tests, Dovecot for the email connector's. Safe to run again; does nothing when
# everything is present.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Email connector tests: Dovecot as the IMAP server (each test run starts a private instance).
[ -x /usr/sbin/dovecot ] && [ -e /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing ${need[*]}: run 'sudo apt-get install -y ${need[*]}' (Debian/Ubuntu) and try again." >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  # The tests run their own Dovecot on a free loopback port; the system-wide one the package
  # may have started is not needed, so a freshly installed one is switched off again.
  if [[ " ${need[*]} " == *" dovecot-imapd "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now dovecot >/dev/null 2>&1 || true
  fi
fi
