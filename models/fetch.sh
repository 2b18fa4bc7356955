#!/usr/bin/env bash
# Fetch the MediaPipe .tflite sources (BlazeFace detectors, selfie
# segmentation) from the package registries, check them against pinned SHA-256
# sums, and extract them.
#
#   models/fetch.sh DEST_DIR
#
# Writes DEST_DIR/face_detection_short_range.tflite and
# DEST_DIR/selfie_segmentation.tflite (from the PyPI wheel),
# DEST_DIR/face_detection_full_range.tflite (from the npm package) and
# DEST_DIR/LICENSE (the wheel's license file). Needs `python3 -m pip` (or
# $PYTHON -m pip) and `npm`. The downloads stay in a temporary folder.
set -euo pipefail

dest=${1:?usage: fetch.sh DEST_DIR}
py=${PYTHON:-python3}

# --- pins (keep in step with PROVENANCE.md) ----------------------------------
# The wheel holds the short-range model. Its full-range model is the *sparse*
# variant (DENSIFY ops, needs a sparse-aware runtime), so the dense full-range
# file comes from the npm package of the older JS solution instead.
MP_VERSION=0.10.21
MP_WHEEL=mediapipe-${MP_VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl
MP_WHEEL_SHA256=05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3
NPM_VERSION=0.4.1657300184
NPM_TGZ=mediapipe-face_detection-${NPM_VERSION}.tgz
NPM_TGZ_SHA256=a118cde74923dc4435257fbfbb613464a0f58d115dff6314d4ff96c8aebf6419
SHORT_SHA256=bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8
FULL_SHA256=99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3
SELFIE_SHA256=9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c
LICENSE_SHA256=8707eef0533987efc5b155d64761eeb6e20793f50b9bd1a68dad1cf4719d0ed8

dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
mkdir -p "$dest"

# Ask for exactly the cp311 manylinux x86_64 wheel whatever the running
# interpreter is: the hash below pins that one file. --no-deps: only the
# archive is needed, never installed.
"$py" -m pip download --quiet --no-deps --only-binary=:all: \
  --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311 \
  --dest "$dl" "mediapipe==${MP_VERSION}"

# `npm pack <spec>` saves the registry's published tarball unchanged (same
# bytes as dist.tarball), into the current folder.
(cd "$dl" && npm pack --silent --no-update-notifier "@mediapipe/face_detection@${NPM_VERSION}" >/dev/null)

check() {  # check SHA256 FILE
  echo "$1  $2" | sha256sum --check --quiet - || { echo "fetch.sh: checksum mismatch for $2" >&2; exit 1; }
}
check "$MP_WHEEL_SHA256" "$dl/$MP_WHEEL"
check "$NPM_TGZ_SHA256" "$dl/$NPM_TGZ"

# zipfile from the stdlib rather than unzip, which a bare Debian lacks.
"$py" - "$dl/$MP_WHEEL" "$dest" <<'EOF'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
members = {
    "mediapipe/modules/face_detection/face_detection_short_range.tflite": "face_detection_short_range.tflite",
    # The general (256x256) model, not selfie_segmentation_landscape.tflite.
    "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite": "selfie_segmentation.tflite",
    "mediapipe-0.10.21.dist-info/LICENSE": "LICENSE",
}
with zipfile.ZipFile(wheel) as z:
    for src, dst in members.items():
        with open(f"{dest}/{dst}", "wb") as f:
            f.write(z.read(src))
EOF
tar -xzf "$dl/$NPM_TGZ" -C "$dl" package/face_detection_full_range.tflite
cp "$dl/package/face_detection_full_range.tflite" "$dest/"

check "$SHORT_SHA256" "$dest/face_detection_short_range.tflite"
check "$FULL_SHA256" "$dest/face_detection_full_range.tflite"
check "$SELFIE_SHA256" "$dest/selfie_segmentation.tflite"
check "$LICENSE_SHA256" "$dest/LICENSE"
echo "fetch.sh: sources verified in $dest"
