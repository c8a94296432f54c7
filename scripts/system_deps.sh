#!/usr/bin/env bash
# The operating-system libraries the app needs, installed when we can and named when not.
#   WeasyPrint: Pango (libpango-1.0-0, libpangoft2-1.0-0) and HarfBuzz's subsetting
#   library (libharfbuzz-subset0: PDFs render about 2.5 times faster with it).
#   Browser tests (pass "browser"): Debian's chromium.
set -euo pipefail

need_libs=()
for lib in libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
           libharfbuzz-subset.so.0:libharfbuzz-subset0; do
  file=${lib%%:*}; pkg=${lib##*:}
  ldconfig -p 2>/dev/null | grep -q "$file" || need_libs+=("$pkg")
done
if ! fc-list 2>/dev/null | grep -qi dejavu; then need_libs+=(fonts-dejavu-core); fi
if [[ "${1:-}" == "browser" ]] && ! command -v chromium >/dev/null 2>&1; then
  need_libs+=(chromium)
fi
command -v pdftoppm >/dev/null 2>&1 || [[ "${1:-}" != "browser" ]] || need_libs+=(poppler-utils)

if ((${#need_libs[@]} == 0)); then exit 0; fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${need_libs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need_libs[@]}" >/dev/null
else
  echo "Missing system packages: ${need_libs[*]}" >&2
  echo "Install them, for example on Debian or Ubuntu:" >&2
  echo "  sudo apt-get install ${need_libs[*]}" >&2
  exit 1
fi
