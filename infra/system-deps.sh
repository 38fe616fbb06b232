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
  twin) needed=("${twin[@]}") purpose="for the local twin" ;;
  all) needed=("${twin[@]}" "${browser[@]}") purpose="for the twin and the browser tests" ;;
  *) echo "usage: $0 [twin|all]" >&2; exit 2 ;;
esac
missing=()
for pkg in "${needed[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  sudo=
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=sudo
else
  echo "missing system packages: ${missing[*]} — install them (apt-get install ${missing[*]}) and rerun" >&2
  exit 1
fi

# apt-get's output goes to the install log (INSTALL_LOG, the Makefile's installers' too), not the
# terminal: one line here, and the log's last lines if it fails. VERBOSE=1 shows it all instead.
log=${INSTALL_LOG:-$(cd "$(dirname "$0")/.." && pwd)/build/install.log}
what="installing system packages $purpose: ${missing[*]} (apt-get, a minute or two)"
apt_install() {
  $sudo apt-get update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}
if [ -n "${VERBOSE:-}" ]; then
  echo "$what…"
  apt_install
  exit
fi
mkdir -p "$(dirname "$log")"
printf '\n== %s  %s\n' "$(date '+%F %T')" "$what" >>"$log"
printf '%s…' "$what"
if apt_install >>"$log" 2>&1; then
  echo " done (${SECONDS} s)"
else
  status=$?
  echo " failed"
  echo "the last lines of $log:" >&2
  tail -n 30 "$log" | sed 's/^/  /' >&2
  echo "the whole log: $log" >&2
  exit "$status"
fi
