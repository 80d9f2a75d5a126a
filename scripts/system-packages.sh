#!/usr/bin/env bash
# Install (as root) or name (otherwise) the Debian packages the project needs.
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
# WeasyPrint (the PDFs, investigations/pdfdoc.py) loads these shared libraries at run time
have_lib() { /sbin/ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib libgobject-2.0.so.0 || need+=(libglib2.0-0)
have_lib libpango-1.0.so.0 || need+=(libpango-1.0-0)
have_lib libpangoft2-1.0.so.0 || need+=(libpangoft2-1.0-0)
have_lib libharfbuzz.so.0 || need+=(libharfbuzz0b)
have_lib libharfbuzz-subset.so.0 || need+=(libharfbuzz-subset0)
have_lib libfontconfig.so.1 || need+=(libfontconfig1)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ]; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing system packages; run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
