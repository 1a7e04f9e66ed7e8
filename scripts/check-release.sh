#!/usr/bin/env bash
# Checks what `make release` built in dist/ (`make release-check`; CI runs both):
#  1. VERSION is a semantic version and CHANGELOG.md starts with an Unreleased section;
#  2. the checksum file verifies, and an archive exists for each of the 6 OS/arch pairs, with
#     the binary (its header names that OS and architecture), LICENSE, THIRD_PARTY_NOTICES.md, README, CHANGELOG, alert
#     rules, dashboards and examples inside;
#  3. the .deb (amd64; the arm64 one has the same paths): dpkg-deb --info fields, conffiles, the contents with owners and modes, the
#     binary's --version from the extracted package (version, revision, build date), the man
#     page (groff without warnings), the changelog's version, systemd-analyze verify and
#     security on the extracted unit, and lintian without errors or warnings (the justified
#     overrides are in .goreleaser.yaml);
#  4. the .rpm: version, file list, config files, and the same scripts as the .deb;
#  5. as root: the .deb installed in a throwaway root (an overlay of the package on this
#     machine's /usr, a copy of its user database): postinst creates the service user, gives
#     its group the key directory and prints the first steps; with the key file made as printed,
#     the unit's ExecStartPre (--config.check of the shipped certcentral.yml) passes as the
#     service user, while another user can read neither the config nor the key; check
#     --config.file reads the key (the account pointed at a closed loopback port); an upgrade
#     keeps all that, and removal and purge succeed.
# Settings (environment; `make release-check` passes the Makefile's): VERSION, REVISION,
# BUILD_DATE: what the binaries must report.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:?set VERSION (make release-check does)}
REVISION=${REVISION:?set REVISION}
BUILD_DATE=${BUILD_DATE:?set BUILD_DATE}
PKG=certcentral-exporter
BIN=certcentral_exporter
USER_NAME=certcentral_exporter
dist=dist

failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
expect() { # expect NAME GOT WANT
  if [ "$2" = "$3" ]; then ok "$1 = $3"; else fail "$1 = '$2', want '$3'"; fi
}
contains() { # contains NAME TEXT WANT
  if grep -qF -- "$3" <<<"$2"; then ok "$1 has '$3'"; else fail "$1 lacks '$3'"; fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The package versions nfpm derives: a semver pre-release goes after "~", then release "1".
core=${VERSION%%-*}
pre=${VERSION#"$core"}
DEB_VERSION="$core${pre:+~${pre#-}}-1"
RPM_VERSION="$core${pre:+~${pre#-}}"
RPM_VERSION="${RPM_VERSION//-/_}-1"

# check_version_output NAME OUTPUT: the --version text of a release binary.
check_version_output() {
  contains "$1 --version" "$2" "$BIN, version $VERSION ("
  contains "$1 --version" "$2" "revision: $REVISION)"
  contains "$1 --version" "$2" "build date:       $BUILD_DATE"
}

# u16/u32 FILE OFFSET: a little-endian integer from a binary's header.
u16() { od -An -tu2 -j "$2" -N2 --endian=little "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 --endian=little "$1" | tr -d ' '; }
# binary_platform FILE: the OS/architecture an executable's header names (ELF, Mach-O, PE).
binary_platform() {
  local magic machine
  magic=$(od -An -tx1 -N4 "$1" | tr -d ' ')
  case $magic in
    7f454c46) machine=$(u16 "$1" 18); case $machine in 62) echo linux-amd64 ;; 183) echo linux-arm64 ;; *) echo "linux-machine$machine" ;; esac ;;
    cffaedfe) machine=$(u32 "$1" 4); case $machine in 16777223) echo darwin-amd64 ;; 16777228) echo darwin-arm64 ;; *) echo "darwin-cpu$machine" ;; esac ;;
    4d5a*) machine=$(u16 "$1" $(($(u32 "$1" 60) + 4))); case $machine in 34404) echo windows-amd64 ;; 43620) echo windows-arm64 ;; *) echo "windows-machine$machine" ;; esac ;;
    *) echo "unknown ($magic)" ;;
  esac
}

echo "== version $VERSION"
if [[ $(cat VERSION) =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]]; then
  ok "VERSION $(cat VERSION) is MAJOR.MINOR.PATCH"
else
  fail "VERSION '$(cat VERSION)' is not MAJOR.MINOR.PATCH"
fi
expect "first section of CHANGELOG.md" "$(grep -m1 '^## ' CHANGELOG.md)" "## [Unreleased]"

echo "== checksums and archives"
sums=$dist/$BIN-$VERSION.checksums.txt
if [ -f "$sums" ] && (cd "$dist" && sha256sum --quiet -c "$(basename "$sums")"); then
  ok "$(basename "$sums") verifies ($(wc -l <"$sums") files)"
else
  fail "$sums missing or does not verify"
fi
for target in linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 windows-arm64; do
  name=$BIN-$VERSION.$target
  exe=$BIN
  if [[ $target == windows-* ]]; then
    archive=$dist/$name.zip exe=$BIN.exe
    list=$(unzip -Z1 "$archive" 2>/dev/null || true)
  else
    archive=$dist/$name.tar.gz
    list=$(tar -tzf "$archive" 2>/dev/null || true)
  fi
  [ -f "$archive" ] || { fail "$archive missing"; continue; }
  grep -qxF "$(basename "$archive")" <(awk '{print $2}' "$sums") || fail "$archive not in the checksum file"
  missing=()
  for f in "$exe" LICENSE THIRD_PARTY_NOTICES.md README.md CHANGELOG.md alerts/certcentral.rules.yml \
    dashboards/certcentral-overview.json examples/certcentral.yml examples/systemd/certcentral_exporter.service; do
    grep -qxF "$name/$f" <<<"$list" || missing+=("$f")
  done
  if [ ${#missing[@]} -eq 0 ]; then ok "$(basename "$archive") holds $name/{$exe, docs, alerts, dashboards, examples}"; else fail "$archive lacks ${missing[*]}"; fi
  if [[ $target == windows-* ]]; then
    unzip -p "$archive" "$name/$exe" >"$work/exe" 2>/dev/null || true
  else
    tar -xzOf "$archive" "$name/$exe" >"$work/exe" 2>/dev/null || true
  fi
  expect "$target archive: the binary's header" "$(binary_platform "$work/exe")" "$target"
done
host=$(go env GOOS)-$(go env GOARCH)
if tar -xzf "$dist/$BIN-$VERSION.$host.tar.gz" -C "$work" 2>/dev/null; then
  check_version_output "archive $host" "$("$work/$BIN-$VERSION.$host/$BIN" --version 2>&1)"
else
  fail "cannot unpack the $host archive"
fi

deb=$dist/${PKG}_${DEB_VERSION}_amd64.deb
echo "== $deb"
[ -f "$deb" ] || { fail "$deb missing (files: $(ls "$dist"))"; exit 1; }
info=$(dpkg-deb --info "$deb")
field() { dpkg-deb --field "$deb" "$1"; }
expect "Package" "$(field Package)" "$PKG"
expect "Version" "$(field Version)" "$DEB_VERSION"
expect "Architecture" "$(field Architecture)" "amd64"
expect "Depends" "$(field Depends)" ""
expect "Section" "$(field Section)" "net"
expect "Homepage" "$(field Homepage)" "https://github.com/certcentral-exporter/certcentral_exporter"
expect "Description synopsis" "$(field Description | head -1)" "Prometheus exporter for DigiCert CertCentral"
contains "Maintainer" "$(field Maintainer)" "<"
for script in postinst prerm postrm conffiles; do contains "control archive" "$info" " $script"; done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$work/conffiles"
expect "conffiles" "$(sort "$work/conffiles" | tr '\n' ' ')" "/etc/certcentral_exporter/certcentral.yml /etc/default/certcentral_exporter "

# Every file and directory the package must hold, as "mode owner/group path" of dpkg-deb -c.
contents=$(dpkg-deb --contents "$deb" | awk '{print $1, $2, $6}')
while read -r want; do
  contains "contents" "$contents" "$want"
done <<'EOF'
-rwxr-xr-x root/root ./usr/bin/certcentral_exporter
-rw-r--r-- root/root ./usr/lib/systemd/system/certcentral_exporter.service
-rw-r--r-- root/root ./usr/lib/sysusers.d/certcentral-exporter.conf
-rw-r--r-- root/root ./etc/default/certcentral_exporter
drwxr-x--- root/root ./etc/certcentral_exporter/
-rw-r--r-- root/root ./etc/certcentral_exporter/certcentral.yml
-rw-r--r-- root/root ./usr/share/certcentral_exporter/alerts/certcentral.rules.yml
-rw-r--r-- root/root ./usr/share/certcentral_exporter/dashboards/certcentral-overview.json
-rw-r--r-- root/root ./usr/share/certcentral_exporter/dashboards/certcentral-access.json
-rw-r--r-- root/root ./usr/share/certcentral_exporter/dashboards/certcentral-domains-certificates.json
-rw-r--r-- root/root ./usr/share/man/man1/certcentral_exporter.1.gz
-rw-r--r-- root/root ./usr/share/doc/certcentral-exporter/copyright
-rw-r--r-- root/root ./usr/share/doc/certcentral-exporter/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/certcentral-exporter/changelog.Debian.gz
-rw-r--r-- root/root ./usr/share/doc/certcentral-exporter/README.md
-rw-r--r-- root/root ./usr/share/doc/certcentral-exporter/LICENSE
-rw-r--r-- root/root ./usr/share/doc/certcentral-exporter/THIRD_PARTY_NOTICES.md
EOF
if grep -E '\.key$|api-key|api\.key' <<<"$contents"; then fail "the package ships a key file"; else ok "no key file in the package"; fi

deb_arm64=$dist/${PKG}_${DEB_VERSION}_arm64.deb
if [ -f "$deb_arm64" ]; then
  expect "arm64 .deb Architecture" "$(dpkg-deb --field "$deb_arm64" Architecture)" "arm64"
  expect "arm64 .deb paths" "$(dpkg-deb --contents "$deb_arm64" | awk '{print $1, $6}' | md5sum)" \
    "$(dpkg-deb --contents "$deb" | awk '{print $1, $6}' | md5sum)"
else
  fail "$deb_arm64 missing"
fi

root=$work/deb
dpkg-deb -x "$deb" "$root"
expect "packaged binary's header" "$(binary_platform "$root/usr/bin/$BIN")" "linux-amd64"
check_version_output "packaged binary" "$("$root/usr/bin/$BIN" --version 2>&1)"
cmp -s alerts/certcentral.rules.yml "$root/usr/share/certcentral_exporter/alerts/certcentral.rules.yml" &&
  ok "packaged alert rules = alerts/certcentral.rules.yml" || fail "packaged alert rules differ from alerts/"
cmp -s examples/certcentral.yml "$root/etc/certcentral_exporter/certcentral.yml" &&
  ok "packaged certcentral.yml = examples/certcentral.yml" || fail "packaged certcentral.yml differs from examples/"
cmp -s packaging/certcentral_exporter.service "$root/usr/lib/systemd/system/certcentral_exporter.service" &&
  ok "packaged unit = packaging/certcentral_exporter.service" || fail "packaged unit differs from packaging/"

man=$(zcat "$root/usr/share/man/man1/$BIN.1.gz")
expect "man page title" "$(head -1 <<<"$man")" ".TH CERTCENTRAL_EXPORTER 1 \"${BUILD_DATE:0:10}\" \"$BIN $VERSION\" \"User Commands\""
warnings=$(groff -man -Tutf8 -ww -z <<<"$man" 2>&1 || echo "groff failed")
expect "groff warnings on the man page" "$warnings" ""
expect "changelog.Debian.gz version" \
  "$(zcat "$root/usr/share/doc/$PKG/changelog.Debian.gz" | head -1 | sed -n 's/^[^ ]* (\([^)]*\)).*/\1/p')" "$DEB_VERSION"

if command -v systemd-analyze >/dev/null 2>&1; then
  # verify needs the binary ExecStart names: the copy points at the extracted one.
  unit=$work/certcentral_exporter.service
  sed "s|/usr/bin/$BIN|$root/usr/bin/$BIN|" "$root/usr/lib/systemd/system/certcentral_exporter.service" >"$unit"
  out=$(cd "$work" && systemd-analyze verify --man=no --generators=no "$unit" 2>&1) && [ -z "$out" ] &&
    ok "systemd-analyze verify: no complaints" || fail "systemd-analyze verify: $out"
  # 0-100 scale: 20 is the exposure 2.0 the example unit's test allows too.
  out=$(cd "$work" && systemd-analyze security --offline=yes --threshold=20 "$unit" 2>&1) &&
    ok "systemd-analyze security: $(tail -1 <<<"$out" | sed 's/.*Overall exposure level for //')" ||
    fail "systemd-analyze security: $(tail -1 <<<"$out")"
else
  fail "systemd-analyze is not installed (Debian package systemd)"
fi

echo "== lintian $(lintian --version | awk '{print $2}')"
code=0
out=$(lintian --fail-on error,warning --display-info "$deb" 2>&1) || code=$?
out=$(grep -v 'running with root privileges' <<<"$out" || true)
if [ "$code" = 0 ]; then
  ok "lintian: no errors or warnings${out:+; notes: $(awk '{print $3}' <<<"$out" | sort -u | tr '\n' ' ')}"
else
  fail "lintian (exit $code):"$'\n'"$out"
fi

[ -f "$dist/$PKG-$RPM_VERSION.aarch64.rpm" ] && ok "aarch64 .rpm exists" || fail "$dist/$PKG-$RPM_VERSION.aarch64.rpm missing"
rpm_file=$dist/$PKG-$RPM_VERSION.x86_64.rpm
echo "== $rpm_file"
if [ -f "$rpm_file" ]; then
  expect "rpm name-version-release" "$(rpm -qp --qf '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}' "$rpm_file" 2>/dev/null)" \
    "$PKG $RPM_VERSION x86_64"
  files=$(rpm -qpl "$rpm_file" 2>/dev/null)
  for f in /usr/bin/certcentral_exporter /usr/lib/systemd/system/certcentral_exporter.service \
    /usr/lib/sysusers.d/certcentral-exporter.conf /etc/default/certcentral_exporter \
    /etc/certcentral_exporter /etc/certcentral_exporter/certcentral.yml \
    /usr/share/certcentral_exporter/alerts/certcentral.rules.yml \
    /usr/share/certcentral_exporter/dashboards/certcentral-overview.json \
    /usr/share/man/man1/certcentral_exporter.1.gz /usr/share/doc/certcentral-exporter/LICENSE \
    /usr/share/doc/certcentral-exporter/THIRD_PARTY_NOTICES.md; do
    grep -qxF "$f" <<<"$files" && ok "rpm holds $f" || fail "rpm lacks $f"
  done
  expect "rpm config files" "$(rpm -qpc "$rpm_file" 2>/dev/null | sort | tr '\n' ' ')" \
    "/etc/certcentral_exporter/certcentral.yml /etc/default/certcentral_exporter "
  for pair in POSTIN=postinst PREUN=prerm POSTUN=postrm; do
    rpm -qp --qf "%{${pair%%=*}}" "$rpm_file" 2>/dev/null >"$work/rpm-script"
    dpkg-deb --ctrl-tarfile "$deb" | tar -xO "./${pair#*=}" >"$work/deb-script"
    if diff -q <(grep -v '^#!' "$work/rpm-script") <(grep -v '^#!' "$work/deb-script") >/dev/null; then
      ok "rpm %${pair%%=*} = deb ${pair#*=}"
    else
      fail "rpm %${pair%%=*} differs from deb ${pair#*=}"
    fi
  done
else
  fail "$rpm_file missing"
fi

# install_test ROOT CONTROL: runs in a private mount namespace (unshare), see step 5 above.
install_test() {
  local root=$1 control=$2 user=$USER_NAME
  local pkgusr=$work/pkgusr
  mv "$root/usr" "$pkgusr"
  mkdir -p "$root"/{usr,proc,dev,tmp,run,var/lib/dpkg}
  ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
  touch "$root/var/lib/dpkg/statoverride"
  local f
  for f in passwd group shadow gshadow nsswitch.conf login.defs; do
    [ -e "/etc/$f" ] && cp -p "/etc/$f" "$root/etc/$f"
  done
  cp "$control"/{postinst,prerm,postrm} "$root/tmp/"
  # The package's /usr over this machine's: its files and the host's programs in one tree.
  mount -t overlay overlay -o "lowerdir=$pkgusr:/usr" "$root/usr"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  in_root() { chroot "$root" "$@"; }

  local out code
  if out=$(in_root /bin/sh /tmp/postinst configure 2>&1); then ok "postinst configure (first install)"; else fail "postinst configure: $out"; fi
  local confdir=/etc/certcentral_exporter
  local config=$confdir/certcentral.yml keyfile=$confdir/prod-us.key
  local install_line="install -m 0600 -o $user -g $user /dev/null $keyfile"
  for want in "$install_line" "Edit $config" \
    "runuser -u $user -- certcentral_exporter --config.check --config.file=$config" \
    "systemctl enable --now certcentral_exporter.service"; do
    contains "postinst message" "$out" "$want"
  done
  expect "service user and home" "$(in_root getent passwd "$user" | cut -d: -f1,6)" "$user:/nonexistent"
  case "$(in_root getent passwd "$user" | cut -d: -f7)" in
    */nologin | /bin/false) ok "service user cannot log in" ;;
    *) fail "service user has a login shell" ;;
  esac
  [ "$(in_root id -u "$user")" -lt 1000 ] && ok "service user is a system user (uid $(in_root id -u "$user"))" || fail "uid $(in_root id -u "$user") is not a system uid"
  expect "key directory" "$(in_root stat -c '%a %U:%G' $confdir)" "750 root:$user"

  # The key file of the config's one active account, made with the command postinst printed.
  local key=release-check-key-5d1f
  # shellcheck disable=SC2086 # the printed command, split into its words
  in_root $install_line
  printf '%s\n' "$key" >"$root$keyfile"
  # The unit's environment: the package's env file, as systemd reads it (no shell expansion).
  local env=() args=
  while IFS= read -r line; do
    [[ $line =~ ^[A-Z_]+= ]] || continue
    env+=("${line%%=*}=$(sed 's/^"\(.*\)"$/\1/' <<<"${line#*=}")")
    [[ $line == CERTCENTRAL_EXPORTER_ARGS=* ]] && args=${env[-1]#*=}
  done <"$root/etc/default/certcentral_exporter"
  as_user() { # as_user USER:GROUP COMMAND...: in the root, with the unit's environment only
    local spec=$1
    shift
    chroot --userspec="$spec" "$root" env -i "${env[@]}" "$@"
  }

  # The unit's ExecStartPre, run as systemd would: the shipped config with the key just made.
  local unit_file=$root/usr/lib/systemd/system/certcentral_exporter.service pre
  pre=$(sed -n 's/^ExecStartPre=//p' "$unit_file")
  expect "the unit's ExecStartPre" "$pre" "/usr/bin/$BIN --config.check --config.file=$config \$CERTCENTRAL_EXPORTER_ARGS"
  local pre_cmd
  read -ra pre_cmd <<<"${pre//\$CERTCENTRAL_EXPORTER_ARGS/$args}"
  code=0
  out=$(as_user "$user:$user" "${pre_cmd[@]}" 2>&1) || code=$?
  if [ "$code" = 0 ] && grep -qxF "OK $config: 1 account(s)" <<<"$out" &&
    grep -qF "prod-us  https://www.digicert.com/services/v2  key from file $keyfile: key readable  collectors: " <<<"$out" &&
    ! grep -qi "warn" <<<"$out"; then
    ok "ExecStartPre as $user: $config valid, $keyfile readable, no warning (exit 0)"
  else
    fail "ExecStartPre as $user (exit $code): $out"
  fi
  grep -qF "$key" <<<"$out" && fail "--config.check printed the key"
  # Another user cannot even read the config (the directory is the service's group's)...
  code=0
  out=$(as_user 65534:65534 /usr/bin/$BIN --config.check --config.file=$config 2>&1) || code=$?
  if [ "$code" = 2 ] && grep -qF "cannot read the config file $config: permission denied" <<<"$out"; then
    ok "--config.check as nobody: cannot read $config (exit 2)"
  else
    fail "--config.check as nobody (exit $code): $out"
  fi
  # ...nor the key, given a copy of the config it can read.
  cp "$root$config" "$root/tmp/certcentral.yml" && chmod 0644 "$root/tmp/certcentral.yml"
  code=0
  out=$(as_user 65534:65534 /usr/bin/$BIN --config.check --config.file=/tmp/certcentral.yml 2>&1) || code=$?
  if [ "$code" = 2 ] && grep -qF "NOT USABLE: cannot read the API key file $keyfile: permission denied" <<<"$out"; then
    ok "--config.check as nobody with a readable copy of the config: cannot read $keyfile (exit 2)"
  else
    fail "--config.check as nobody, config in /tmp (exit $code): $out"
  fi

  # check calls the API: first the account is pointed at a closed loopback port (an edit of the
  # installed config, as for a proxy), and --config.check must show that URL before check runs,
  # so that no request leaves the machine. check reads the key, then fails to connect. Judged by
  # its words, not its exit status: which status a failed connection gets is check's business.
  local closed=http://127.0.0.1:1/services/v2
  sed -i "s|^    api_key_file: $keyfile\$|&\n    url: $closed|" "$root$config"
  out=$(as_user "$user:$user" /usr/bin/$BIN --config.check --config.file=$config 2>&1) || true
  if grep -qF "prod-us  $closed  key from file $keyfile: key readable" <<<"$out"; then
    out=$(as_user "$user:$user" /usr/bin/$BIN check --config.file=$config 2>&1) || true
    if grep -q "^key .*from file $keyfile\$" <<<"$out" && grep -q "GET /user/me" <<<"$out" &&
      grep -qF "$closed" <<<"$out" && ! grep -q "cannot read the API key file" <<<"$out"; then
      ok "check --config.file=$config as $user reads $keyfile and calls the API"
    else
      fail "check --config.file as $user: $out"
    fi
    grep -qi "warn" <<<"$out" && fail "check warns about the key file: $out"
    grep -qF "$key" <<<"$out" && fail "check printed the key"
  else
    fail "the edited config does not point prod-us at $closed; check not run: $out"
  fi

  if out=$(in_root /bin/sh /tmp/postinst configure 0.0.1-1 2>&1); then ok "postinst configure 0.0.1-1 (upgrade)"; else fail "postinst upgrade: $out"; fi
  expect "key directory after upgrade" "$(in_root stat -c '%a %U:%G' $confdir)" "750 root:$user"
  expect "key file after upgrade" "$(in_root stat -c '%a %U:%G' $keyfile)" "600 $user:$user"
  grep -qF "url: $closed" "$root$config" && ok "the edited config after upgrade" || fail "postinst changed $config"
  for step in "prerm remove" "postrm remove" "postrm purge"; do
    # shellcheck disable=SC2086 # the step is the script and its argument
    if out=$(in_root /bin/sh /tmp/$step 2>&1); then ok "$step"; else fail "$step: $out"; fi
  done
}

echo "== install in a throwaway root"
if [ "$(id -u)" != 0 ]; then
  echo "SKIP the install test needs root (chroot, mount)"
else
  control=$work/control
  dpkg-deb --control "$deb" "$control"
  install_root=$work/install
  dpkg-deb -x "$deb" "$install_root"
  export -f install_test ok fail expect contains
  export work BIN USER_NAME
  # The failures counter lives in the namespace's shell: it reports them through its status.
  unshare --mount --propagation private bash -c 'set -uo pipefail; failures=0; install_test "$1" "$2"; exit $((failures > 0))' \
    _ "$install_root" "$control" || failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
  echo "release check: $failures failure(s)" >&2
  exit 1
fi
echo "release check: all passed"
