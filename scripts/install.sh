#!/usr/bin/env bash
# Installs what qrkiosk needs on a fresh Debian or Raspberry Pi OS machine, then `npm ci`.
#   bash scripts/install.sh          # to run the demo / a kiosk
#   bash scripts/install.sh --test   # also what the test suite needs (a real Mosquitto broker)
# Cài đặt các gói cần thiết trên Debian / Raspberry Pi OS mới, rồi chạy `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

# socat: virtual scanners on real ptys (demo, tests). libusb/udev: HID scanners.
# build-essential/python3: native addons build from source when no prebuilt binary fits. python3 (its cp1252
# codec) and glibc's iconv are also the tests' independent Windows-1252 encoders (gateway/test/cp1252-oracle.ts).
packages=(socat libusb-1.0-0 udev build-essential python3 ca-certificates)
# Tests: a real Mosquitto broker, a PostgreSQL server (the tests start their own, as the postgres user
# when run as root) and Debian's Chromium (Playwright drives it; it never downloads a browser).
# python3-cbor2: the DCC revocation oracle reads `iss` with a CBOR decoder that is not ours.
# python3-cryptography: the enrolment seal (X25519, HKDF, AES-GCM) is checked against an implementation not ours.
# poppler-utils: pdfinfo counts the pages Chromium prints of the technician's one-page checklist.
# cloud-init and systemd: `cloud-init schema` and `systemd-analyze verify` check the appliance recipe
# (hardware/cloud-init/user-data) and the unit files in hardware/; a container without systemd as init only
# gets their tools.
# qemu-user + the arm64 cross toolchain and runtime: the release proof (scripts/release-proof.mjs) compiles the
# arm64 bundle's native addons and runs its CLI under emulation (qemu-aarch64 -L /usr/aarch64-linux-gnu).
# python3-aiosmtpd: the alert and report e-mails are received by a real SMTP server (not nodemailer's kin).
# prometheus: for promtool only (`promtool check metrics` judges both /metrics endpoints).
((want_test)) && packages+=(mosquitto postgresql chromium fonts-noto-core openssl python3-cbor2 python3-cryptography
  cloud-init systemd poppler-utils qemu-user g++-aarch64-linux-gnu libc6-arm64-cross libstdc++6-arm64-cross
  python3-aiosmtpd prometheus)

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then sudo_cmd=(sudo); else echo "Cần quyền root hoặc sudo / need root or sudo" >&2; exit 1; fi
fi

node_ok() {
  command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'
}

if command -v apt-get >/dev/null; then
  missing=()
  installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }
  for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
  node_ok || missing+=(nodejs npm)
  if ((${#missing[@]})); then
    echo "Cài gói / installing: ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    # cloud-init only acts at boot, but on a machine that has none yet it must never act at all: on a
    # cloud VM it would find the provider's data at the next boot and reconfigure users, SSH keys and
    # network. cloud-init.disabled stops it before it starts (its systemd generator reads the file);
    # `cloud-init schema` still works. A machine that already runs cloud-init is left as it is.
    if [[ " ${missing[*]} " == *" cloud-init "* ]]; then
      "${sudo_cmd[@]}" mkdir -p /etc/cloud
      "${sudo_cmd[@]}" touch /etc/cloud/cloud-init.disabled
    fi
    # The Debian mosquitto package starts a broker on 1883 where systemd runs; the demo and the
    # tests do not need it (they start their own on free ports) but leave it as the admin set it.
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  echo "Không có apt-get: hãy tự cài / no apt-get: install yourself: ${packages[*]} and Node.js 20+" >&2
fi

if ! node_ok; then
  echo "Cần Node.js 20 trở lên (hiện có: $(node --version 2>/dev/null || echo 'không có'))." >&2
  echo "Node.js 20+ is required. Debian 13 / Raspberry Pi OS (trixie) ship it; on bookworm use NodeSource's nodejs 20 or 22." >&2
  exit 1
fi

npm ci --no-fund --no-audit
# The decoding tests also run on Node 22 and 24 (scripts/test-node-versions.mjs): fetch them now, not mid-test.
# The release proof builds for, and runs, the pinned Node 20 for x64 and arm64, and Debian's arm64 libusb/libudev
# for node-hid under qemu (scripts/release-proof.mjs).
if ((want_test)); then
  node scripts/test-node-versions.mjs --fetch-only
  node scripts/release-proof.mjs --fetch-only
fi
