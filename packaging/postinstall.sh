#!/bin/sh
# After unpacking certcentral-exporter: .deb postinst ("configure" [old version]) and .rpm %post
# (1 = install, 2 = upgrade). Creates the service user, gives its group the directory of the
# API key files, and restarts a running service on upgrade. A first install neither enables nor
# starts the service: that needs the accounts' API key files first, so it prints the steps.
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
  cat <<EOF
certcentral-exporter: the service is not started yet. As root:
  1. Write each account's API key file (the key alone; owned by $user, mode 0600):
       install -m 0600 -o $user -g $user /dev/null $confdir/prod-us.key
       sh -c 'cat > $confdir/prod-us.key'   # paste the key, then Ctrl-D
  2. Edit $confdir/certcentral.yml (the accounts and their key files), then check it:
       runuser -u $user -- certcentral_exporter --config.check --config.file=$confdir/certcentral.yml
  3. systemctl enable --now $unit
After later edits of the config or a key file: systemctl reload $unit
EOF
fi
exit 0
