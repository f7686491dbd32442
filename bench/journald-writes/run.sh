#!/bin/bash
# How many bytes journald writes to the disk for the kiosk's log (issue #16, card life). Root only.
# A private journald in a mount namespace of its own (nothing of the host's journal or /run is touched)
# writes to a fresh ext4 loop file system mounted where journald keeps a persistent journal; the real
# daemon logs into it through systemd-cat while drive.mjs scans N people PACE ms apart (with a broker and a
# receipting subscriber; OFFLINE=1 points the uplink at a closed port instead). Prints the device's bytes
# written (after syncfs) from journald's flush to the end. Run once with N=0 to subtract start and stop.
#   sudo N=20 PACE=15000 bash bench/journald-writes/run.sh [journald.conf drop-in]
# The drop-in defaults to the one hardware/cloud-init/user-data installs (extracted by drive.mjs --conf).
set -euo pipefail
[[ ${1:-} == --inside ]] || exec unshare -m --propagation private bash "$0" --inside "$@"
shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/qrkiosk-journald-writes.XXXXXX)
conf=${1:-$work/60-qrkiosk.conf}
[[ -f $conf ]] || node "$here/drive.mjs" --conf >"$conf"
truncate -s 512M "$work/j.img"
mkfs.ext4 -q -F "$work/j.img"
mount -t tmpfs tmpfs /var/log
mkdir -p /var/log/journal /run/systemd/journal /run/log
mount -o loop,noatime "$work/j.img" /var/log/journal
mount -t tmpfs tmpfs /run/systemd/journal
mount -t tmpfs tmpfs /run/log
mkdir -p "$work/conf.d"
cp "$conf" "$work/conf.d/60-qrkiosk.conf"
mount -t tmpfs tmpfs /etc/systemd # journald reads /etc/systemd/journald.conf.d/ only: ours alone
mkdir -p /etc/systemd/journald.conf.d
cp "$work/conf.d/60-qrkiosk.conf" /etc/systemd/journald.conf.d/
dev=$(basename "$(findmnt -no SOURCE /var/log/journal)")
/lib/systemd/systemd-journald >/dev/null 2>&1 &
jpid=$!
# This journald dies with the script, however it ends (its namespace's mounts go with it).
trap 'kill "$jpid" 2>/dev/null || true' EXIT
sleep 2
kill -USR1 "$jpid" # what systemd-journal-flush.service does at boot: from now on, /var/log/journal
sleep 1
written() { sync -f /var/log/journal; echo $(($(awk '{print $7}' "/sys/block/$dev/stat") * 512)); }
before=$(written)
node "$here/drive.mjs" "$work/kiosk"
sleep 1
after=$(written)
echo "N=${N:-20} PACE=${PACE:-15000} OFFLINE=${OFFLINE:-0}: journald wrote $((after - before)) bytes to the device"
journalctl -D /var/log/journal -t qrkiosk -o cat | sed -E 's/.*"msg":"([^"]*)".*/\1/' | sort | uniq -c | sort -rn | head -5
kill "$jpid"
wait "$jpid" || true
umount /var/log/journal
rm -rf "$work"
