#!/bin/sh
# tui_app: install the app for staff logins over SSH on a Debian server. Run as root from a
# checkout (or an unpacked release) of tui_app:   sudo sh deploy/install.sh
#
# What it does (every step can be run again; nothing existing is overwritten except the app
# itself, the wrapper, the sudoers rule, the sshd snippet, the units and the logrotate file):
#   1. builds the wheel from this checkout (or takes WHEEL=...) and installs it into a venv in
#      $PREFIX on a Python every user can run (default /usr/bin/python3, Debian's own);
#   2. creates the groups $STAFF_GROUP (staff who may log in) and $OPS_GROUP (operators), and
#      the service account $SERVICE (no shell, no password) with its home $HOME_DIR (0700) and
#      the data directory $DATA (0700): nobody else can read anything in them;
#   3. writes $CONFIG (root:$SERVICE 0640) unless it exists;
#   4. installs the ForceCommand wrapper, the sudoers rule (checked with visudo -cf), the sshd
#      snippet (checked with sshd -t), the systemd units and timers, logrotate and rsyslog files.
#
# Settings (environment variables; the defaults are the documented layout):
#   PREFIX=/opt/tui_app  SERVICE=tui_app  STAFF_GROUP=tui-staff  OPS_GROUP=tui-ops
#   HOME_DIR=/var/lib/tui_app  DATA=$HOME_DIR/data  CONFIG=/etc/tui_app/config.toml
#   PYTHON=/usr/bin/python3  WHEEL=<built from this checkout>  EXTRAS= (e.g. postgres)
#   WHEELHOUSE=<folder of wheels: install offline from it, no index>
#   SUDOERS_FILE=/etc/sudoers.d/tui_app  SSHD_SNIPPET=/etc/ssh/sshd_config.d/tui_app.conf
#   SYSTEMD_DIR=/etc/systemd/system  LOGROTATE_DIR=/etc/logrotate.d  RSYSLOG_DIR=/etc/rsyslog.d
#   ENABLE_TIMERS=1 (0: install the units but do not enable them)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)

PREFIX=${PREFIX:-/opt/tui_app}
SERVICE=${SERVICE:-tui_app}
STAFF_GROUP=${STAFF_GROUP:-tui-staff}
OPS_GROUP=${OPS_GROUP:-tui-ops}
HOME_DIR=${HOME_DIR:-/var/lib/tui_app}
DATA=${DATA:-$HOME_DIR/data}
STATE=${STATE:-$HOME_DIR/.local/state/tui_app}
CONFIG=${CONFIG:-/etc/tui_app/config.toml}
PYTHON=${PYTHON:-/usr/bin/python3}
WHEEL=${WHEEL:-}
EXTRAS=${EXTRAS:-}
WHEELHOUSE=${WHEELHOUSE:-}
SUDOERS_FILE=${SUDOERS_FILE:-/etc/sudoers.d/tui_app}
SSHD_SNIPPET=${SSHD_SNIPPET:-/etc/ssh/sshd_config.d/tui_app.conf}
SYSTEMD_DIR=${SYSTEMD_DIR:-/etc/systemd/system}
LOGROTATE_DIR=${LOGROTATE_DIR:-/etc/logrotate.d}
RSYSLOG_DIR=${RSYSLOG_DIR:-/etc/rsyslog.d}
ENABLE_TIMERS=${ENABLE_TIMERS:-1}

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run me as root (sudo sh deploy/install.sh)"
for tool in sudo visudo useradd groupadd install; do
    command -v "$tool" >/dev/null || die "$tool is missing: apt-get install sudo passwd coreutils"
done
case "$(basename "$SUDOERS_FILE")" in *.* | *~) die "SUDOERS_FILE: no dot or ~ in its name (sudo skips such files)";; esac

# A venv points at its base Python: a Python under /root (pyenv, uv) cannot be run by staff.
command -v runuser >/dev/null || die "runuser is missing (apt-get install util-linux)"
runuser -u nobody -- "$PYTHON" -c 'import sys, venv' 2>/dev/null ||
    die "$PYTHON cannot be run by other users (e.g. it lives under /root): use PYTHON=/usr/bin/python3"

ALIAS=$(printf '%s' "$SERVICE" | tr 'a-z-' 'A-Z_' | tr -cd 'A-Z0-9_')
render() {  # template -> stdout, placeholders filled in
    sed -e "s|@ALIAS@|$ALIAS|g" -e "s|@PREFIX@|$PREFIX|g" -e "s|@SERVICE@|$SERVICE|g" -e "s|@STAFF_GROUP@|$STAFF_GROUP|g" \
        -e "s|@OPS_GROUP@|$OPS_GROUP|g" -e "s|@DATA@|$DATA|g" -e "s|@STATE@|$STATE|g" \
        -e "s|@CONFIG@|$CONFIG|g" "$1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. The app, from a built wheel, in its own venv.
pip_from=""
[ -n "$WHEELHOUSE" ] && pip_from="--no-index --find-links $WHEELHOUSE"
if [ -z "$WHEEL" ]; then
    say "building the wheel from $src"
    "$PYTHON" -m venv "$tmp/build"
    # shellcheck disable=SC2086
    "$tmp/build/bin/pip" wheel -q $pip_from --no-deps -w "$tmp/dist" "$src"
    WHEEL=$(ls "$tmp"/dist/tui_app-*.whl)
fi
say "installing $(basename "$WHEEL") into $PREFIX"
[ -x "$PREFIX/bin/python" ] || "$PYTHON" -m venv "$PREFIX"
spec=$WHEEL
[ -n "$EXTRAS" ] && spec="tui_app[$EXTRAS] @ file://$WHEEL"
# shellcheck disable=SC2086
"$PREFIX/bin/pip" install -q --disable-pip-version-check $pip_from --force-reinstall "$spec"
chown -R root:root "$PREFIX"
chmod -R u+rwX,go+rX,go-w "$PREFIX"

# 2. Groups, the service account, its home and data directory.
getent group "$STAFF_GROUP" >/dev/null || groupadd --system "$STAFF_GROUP"
getent group "$OPS_GROUP" >/dev/null || groupadd --system "$OPS_GROUP"
if ! getent passwd "$SERVICE" >/dev/null; then
    useradd --system --user-group --home-dir "$HOME_DIR" --no-create-home \
        --shell /usr/sbin/nologin --comment "tui_app service account" "$SERVICE"
fi
install -d -m 0700 -o "$SERVICE" -g "$SERVICE" "$HOME_DIR" "$DATA"
chmod 0700 "$HOME_DIR" "$DATA"

# 3. Settings: root-owned (the app honours service_account only then), readable by the app.
if [ ! -e "$CONFIG" ]; then
    install -d -m 0755 -o root -g root "$(dirname "$CONFIG")"
    render "$here/config.toml" >"$tmp/config.toml"
    install -m 0640 -o root -g "$SERVICE" "$tmp/config.toml" "$CONFIG"
    say "wrote $CONFIG (add picsara_import_dir, earkiv_printer ... there)"
fi

# 4. Wrapper, sudoers, sshd, systemd, logrotate, rsyslog.
install -d -m 0755 -o root -g root "$PREFIX/libexec"
render "$here/tui-app-login" >"$tmp/tui-app-login"
install -m 0755 -o root -g root "$tmp/tui-app-login" "$PREFIX/libexec/tui-app-login"

render "$here/sudoers.d/tui_app" >"$tmp/sudoers"
visudo -cqf "$tmp/sudoers" || die "the sudoers rule does not pass visudo -c"
install -m 0440 -o root -g root "$tmp/sudoers" "$SUDOERS_FILE"
visudo -cq || { rm -f "$SUDOERS_FILE"; die "sudo's configuration broke with $SUDOERS_FILE: removed it"; }

install -d -m 0755 "$(dirname "$SSHD_SNIPPET")"
render "$here/sshd_config.d/tui_app.conf" >"$tmp/sshd.conf"
install -m 0644 -o root -g root "$tmp/sshd.conf" "$SSHD_SNIPPET"
if [ "$SSHD_SNIPPET" = /etc/ssh/sshd_config.d/tui_app.conf ] && command -v sshd >/dev/null; then
    sshd -t || die "sshd -t fails with $SSHD_SNIPPET: fix it before reloading ssh"
fi

install -d -m 0755 "$SYSTEMD_DIR" "$LOGROTATE_DIR" "$RSYSLOG_DIR"
for unit in tui-app-sweep.service tui-app-sweep.timer tui-app-audit-verify.service \
    tui-app-audit-verify.timer tui-app-backup.service tui-app-backup.timer; do
    render "$here/systemd/$unit" >"$tmp/$unit"
    install -m 0644 -o root -g root "$tmp/$unit" "$SYSTEMD_DIR/$unit"
done
render "$here/logrotate.d/tui_app" >"$tmp/logrotate"
install -m 0644 -o root -g root "$tmp/logrotate" "$LOGROTATE_DIR/tui_app"
if [ ! -e "$RSYSLOG_DIR/tui_app.conf" ]; then  # it names your log server: never overwritten
    install -m 0644 -o root -g root "$here/rsyslog.d/tui_app.conf" "$RSYSLOG_DIR/tui_app.conf"
fi
if [ "$ENABLE_TIMERS" = 1 ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now tui-app-sweep.timer tui-app-audit-verify.timer tui-app-backup.timer
fi

say "done. Next (README, Deploying for staff): staff into the group $STAFF_GROUP; the staff" \
    "file into $HOME_DIR, then sudo -u $SERVICE $PREFIX/bin/tui-app --config $CONFIG load" \
    "$HOME_DIR/staff.json; sshd -t && systemctl reload ssh; then tui-app doctor (same sudo)."
