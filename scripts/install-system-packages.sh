#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the companion and its tests need, when missing.
set -euo pipefail
# strace: tests/test_offline.py watches every socket call of the commands (nothing may go out).
# dbus: tests/test_notify.py runs a private session bus (dbus-daemon) for desktop notifications.
PACKAGES=(python3-venv espeak-ng libespeak-ng1 alsa-utils libportaudio2 pulseaudio
          pulseaudio-utils libasound2-plugins flite sox chromium strace dbus)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "Please install these system packages with your package manager: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""
elif command -v sudo >/dev/null; then SUDO="sudo"
else
  echo "Missing system packages. Run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
