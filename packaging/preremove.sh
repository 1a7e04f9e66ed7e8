#!/bin/sh
# Before removing certcentral-exporter: .deb prerm ("remove", "upgrade", ...) and .rpm %preun
# (0 = removal, 1 = upgrade). Removal stops and disables the service; an upgrade leaves it to
# postinstall's restart.
set -e

unit=certcentral_exporter.service

case "$1" in
  remove | 0)
    if command -v deb-systemd-invoke >/dev/null 2>&1; then
      deb-systemd-invoke stop "$unit" >/dev/null || true
      deb-systemd-helper disable "$unit" >/dev/null || true
    elif [ -d /run/systemd/system ]; then
      systemctl disable --now "$unit" >/dev/null 2>&1 || true
    fi
    ;;
esac
exit 0
