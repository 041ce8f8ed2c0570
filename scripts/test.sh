#!/usr/bin/env bash
# The test command from the README. Installs what the tests need, then runs `npm test`
# (type-check + lint + build + every test: unit, compat, e2e).
#   - Debian packages (as root): the real firewall tools, Dovecot, OpenSSH, msmtp, whois and
#     Debian's fail2ban 1.0.2 (for the differential tests; its service is never started).
#     systemd gives journald, journalctl and systemd-cat for the journal backend test, and
#     systemd itself for the service tests (in a container of their own), with logrotate.
#   - npm dependencies: npm ci.
# Without root the Debian step is skipped and the tests that need those parts say so and skip.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(iproute2 iptables nftables ipset dovecot-core dovecot-imapd dovecot-pop3d
      openssh-server openssh-client sshpass msmtp-mta mailutils whois fail2ban perl procps
      util-linux sqlite3 systemd logrotate)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: installing Debian packages: ${missing[*]}"
    # Never let a package's postinst start its daemon (fail2ban, dovecot, sshd) on this host.
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    # Stop anything a postinst started anyway (containers without policy-rc.d support).
    pkill -x fail2ban-server 2>/dev/null || true
  fi
fi

npm ci --no-audit --no-fund
npm test
