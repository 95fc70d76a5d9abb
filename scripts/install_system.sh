#!/usr/bin/env bash
# Installs the Debian packages vidverify needs, only those that are missing.
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

PACKAGES=(tesseract-ocr tesseract-ocr-eng
  # UI languages (#14): the page is read with the model of the language detected; serials stay eng.
  tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-spa tesseract-ocr-ita tesseract-ocr-ces
  tesseract-ocr-jpn tesseract-ocr-kor tesseract-ocr-chi-sim tesseract-ocr-chi-tra fonts-noto-cjk
  ffmpeg redis-server postgresql chromium chromium-driver fonts-dejavu-core fonts-liberation)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
