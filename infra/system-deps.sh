#!/usr/bin/env bash
# System packages the test tiers need. Installs them when this user can; otherwise stops
# with the package names, so no tier is ever skipped in silence.
set -euo pipefail
needed=(chromium fonts-noto-cjk)
# chromium: the browser tier (Playwright drives Debian's build); fonts-noto-cjk: Chinese text in screenshots
missing=()
for pkg in "${needed[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "missing system packages: ${missing[*]} — install them (apt-get install ${missing[*]}) and rerun" >&2
  exit 1
fi
