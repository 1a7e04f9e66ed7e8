#!/bin/sh
# After unpacking certcentral-exporter: .deb postinst ("configure" [old version]) and .rpm %post
# (1 = install, 2 = upgrade). Creates the service user, gives its group the directory of the
# API key files, and restarts a running service on upgrade. A first install neither enables nor
# starts the service: that needs an API key first (see /etc/default/certcentral_exporter).
set -e

user=certcentral_exporter
confdir=/etc/certcentral_exporter
unit=certcentral_exporter.service

case "$1" in
  configure) upgrade=${2:+yes} ;;
  1) upgrade= ;;
  2) upgrade=yes ;;
  *) exit 0 ;;
esac

if ! getent passwd "$user" >/dev/null; then
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers certcentral-exporter.conf
  else
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell "$(command -v nologin || echo /bin/false)" \
      --comment "Prometheus exporter for DigiCert CertCentral" "$user"
  fi
fi

# Root and the service's group may enter the directory, nobody else; the key files in it belong
# to the service user (mode 0600). Set here, not in the package, because the group exists only
# now. A dpkg-statoverride an administrator set wins.
if ! { command -v dpkg-statoverride >/dev/null 2>&1 && dpkg-statoverride --list "$confdir" >/dev/null; }; then
  chown "root:$user" "$confdir"
  chmod 0750 "$confdir"
fi

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null || true
  if [ -n "$upgrade" ]; then
    if command -v deb-systemd-invoke >/dev/null 2>&1; then
      deb-systemd-invoke try-restart "$unit" >/dev/null || true
    else
      systemctl try-restart "$unit" >/dev/null || true
    fi
  fi
fi
if [ -z "$upgrade" ]; then
  echo "certcentral-exporter: put the API key in $confdir/api.key (see /etc/default/certcentral_exporter), then run: systemctl enable --now $unit"
fi
exit 0
