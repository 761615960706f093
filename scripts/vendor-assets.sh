#!/usr/bin/env bash
# Vendor the web assets govcx serves (no CDN) and the axe-core build the e2e tests inject.
#
# Pinned versions; re-run after changing one. Needs `npm` and the npm registry, nothing else.
# Only built files are kept (no source maps, Sass or unused font formats): every URL that
# uswds.min.css references is copied, plus the few images the templates use.
set -euo pipefail

USWDS_VERSION=3.14.0
HTMX_VERSION=2.0.11
AXE_VERSION=4.14.1

root="$(cd "$(dirname "$0")/.." && pwd)"
static="$root/src/govcx/web/static/vendor"
e2e="$root/tests/e2e/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "@uswds/uswds@$USWDS_VERSION" "htmx.org@$HTMX_VERSION" "axe-core@$AXE_VERSION" >/dev/null
for archive in *.tgz; do
  mkdir "${archive%.tgz}"
  tar -xzf "$archive" -C "${archive%.tgz}"
done
uswds="$work/uswds-uswds-$USWDS_VERSION/package"
htmx="$work/htmx.org-$HTMX_VERSION/package"
axe="$work/axe-core-$AXE_VERSION/package"

# USWDS: the built CSS and JS, every file the CSS points at, and the banner's images.
rm -rf "$static/uswds"
mkdir -p "$static/uswds/css" "$static/uswds/js"
cp "$uswds/dist/css/uswds.min.css" "$static/uswds/css/"
cp "$uswds/dist/js/uswds.min.js" "$uswds/dist/js/uswds-init.min.js" "$static/uswds/js/"
cp "$uswds/LICENSE.md" "$static/uswds/LICENSE.md"
{
  grep -oE 'url\([^)]*\)' "$uswds/dist/css/uswds.min.css" \
    | sed -E "s/^url\([\"']?//; s/[\"']?\)$//" \
    | grep -E '^\.\./(fonts|img)/' | sed 's#^\.\./##'
  # Used by templates/base.html (the official-website banner and the favicon).
  printf '%s\n' img/us_flag_small.png img/icon-dot-gov.svg img/icon-https.svg img/favicons/favicon.ico
} | sort -u | while read -r asset; do
  mkdir -p "$static/uswds/$(dirname "$asset")"
  cp "$uswds/dist/$asset" "$static/uswds/$asset"
done

# htmx 2 (the 2.x line on purpose: htmx 4 changes attribute semantics).
rm -rf "$static/htmx"
mkdir -p "$static/htmx"
cp "$htmx/dist/htmx.min.js" "$htmx/LICENSE" "$static/htmx/"

# axe-core: only for the browser tests, never served by govcx.
mkdir -p "$e2e"
cp "$axe/axe.min.js" "$e2e/axe.min.js"
cp "$axe/LICENSE" "$e2e/LICENSE-axe-core"

printf 'vendored: @uswds/uswds %s, htmx.org %s, axe-core %s\n' "$USWDS_VERSION" "$HTMX_VERSION" "$AXE_VERSION"
du -sh "$static/uswds" "$static/htmx" "$e2e"
