#!/usr/bin/env bash
# Rebuilds standardize-strip.jpg: each test portrait (top) over what `photoroll photo
# standardize` made of it (bottom). Needs a built `photoroll` (release) and ImageMagick.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${CARGO_TARGET_DIR:-target}/release/photoroll"
work=$(mktemp -d)
tops=() bottoms=()
for f in portrait-grace-hopper.jpg portrait-obama.jpg astronaut.png portrait-biden-full-body.jpg portrait-obama-turned.jpg; do
  "$bin" photo standardize "tests/fixtures/faces/$f" -o "$work/$f.out.jpg" >/dev/null || true
  convert "tests/fixtures/faces/$f" -resize x320 -background white -gravity center -extent 240x320 "$work/$f.top.png"
  convert "$work/$f.out.jpg" -resize 240x320 "$work/$f.bottom.png"
  tops+=("$work/$f.top.png") bottoms+=("$work/$f.bottom.png")
done
montage "${tops[@]}" "${bottoms[@]}" -tile 5x2 -geometry +6+6 -quality 88 docs/photos/standardize-strip.jpg
rm -rf "$work"
