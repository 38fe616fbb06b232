#!/usr/bin/env bash
# System packages the twin and the test tiers need. Installs them when this user can; otherwise
# stops with the package names, so nothing is ever skipped in silence.
#   bash infra/system-deps.sh          everything `make test` needs
#   bash infra/system-deps.sh twin     only what `make run` needs
set -euo pipefail
# openjdk-17-jre-headless: DynamoDB Local, the twin's DynamoDB (a jar from npm, run on Java)
twin=(openjdk-17-jre-headless)
# chromium: the browser tier (Playwright drives Debian's build); fonts-noto-cjk: Chinese text in screenshots
browser=(chromium fonts-noto-cjk)
case "${1:-all}" in
  twin) needed=("${twin[@]}") ;;
  all) needed=("${twin[@]}" "${browser[@]}") ;;
  *) echo "usage: $0 [twin|all]" >&2; exit 2 ;;
esac
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
