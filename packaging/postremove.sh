#!/bin/sh
# After removing certcentral-exporter: .deb postrm ("remove", "purge", ...) and .rpm %postun
# (0 = removal, 1 = upgrade). Makes systemd forget the removed unit. The service user and the
# API key files in /etc/certcentral_exporter/ stay, even on purge: the keys are the
# administrator's, and a user ID that files may still carry is not handed out again.
set -e

case "$1" in
  remove | purge | 0)
    if [ -d /run/systemd/system ]; then
      systemctl daemon-reload >/dev/null 2>&1 || true
    fi
    ;;
esac
exit 0
