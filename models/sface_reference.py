#!/usr/bin/env python3
"""Reference outputs of SFace and YuNet under onnxruntime, for crates/faceid's tract test.

Usage (in the models venv, see requirements.txt):
    python models/sface_reference.py > crates/faceid/tests/reference.json

Inputs are cut from tests/fixtures/faces/astronaut.png without any resampling, so tract and
onnxruntime see exactly the same numbers:
- YuNet: the top-left 320x320 of the photo (the face is inside), BGR, 0-255, NCHW. The raw
  outputs are decoded here as OpenCV's FaceDetectorYN does (score sqrt(cls*obj), boxes and
  landmarks per stride, greedy NMS at IoU 0.3, score >= 0.7): the test compares faces.
- SFace: the 112x112 block at x 170..282, y 60..172 (the face, unaligned), RGB, 0-255, NCHW.
  The raw 128 outputs (before normalisation) are recorded.
"""

import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STRIDES = (8, 16, 32)


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def yunet_faces(outputs, size, min_score=0.7, nms=0.3):
    faces = []
    for k, s in enumerate(STRIDES):
        cls, obj, bbox, kps = (outputs[k + 3 * j].reshape(-1, d) for j, d in enumerate((1, 1, 4, 10)))
        cols = rows = size // s
        for r in range(rows):
            for c in range(cols):
                i = r * cols + c
                score = float(np.sqrt(np.clip(cls[i, 0], 0, 1) * np.clip(obj[i, 0], 0, 1)))
                if score < min_score:
                    continue
                cx, cy = (c + bbox[i, 0]) * s, (r + bbox[i, 1]) * s
                w, h = np.exp(bbox[i, 2]) * s, np.exp(bbox[i, 3]) * s
                lm = [[float((kps[i, 2 * n] + c) * s), float((kps[i, 2 * n + 1] + r) * s)] for n in range(5)]
                faces.append(dict(score=score, box=[float(cx - w / 2), float(cy - h / 2), float(w), float(h)],
                                  landmarks=lm))
    faces.sort(key=lambda f: -f["score"])
    kept = []
    for f in faces:
        if all(iou(f["box"], k["box"]) <= nms for k in kept):
            kept.append(f)
    return kept


def main():
    photo = np.asarray(Image.open(os.path.join(ROOT, "tests/fixtures/faces/astronaut.png")).convert("RGB"))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3  # the MXNet export lists its weights as inputs too: a warning each

    # The file declares a 640x640 input and records every intermediate shape for it; onnxruntime
    # holds to those, so declare 320x320 and drop the recorded shapes (in memory only), as
    # OpenCV's setInputSize does and as tract infers them.
    yunet = onnx.load(os.path.join(HERE, "face_detection_yunet_2023mar.onnx"))
    for d in yunet.graph.input[0].type.tensor_type.shape.dim[2:]:
        d.dim_value = 320
    del yunet.graph.value_info[:]
    for o in yunet.graph.output:
        o.type.tensor_type.ClearField("shape")
    det = ort.InferenceSession(yunet.SerializeToString(), opts)
    block = photo[:320, :320, ::-1].astype(np.float32)  # BGR
    x = np.ascontiguousarray(block.transpose(2, 0, 1)[None])
    outputs = det.run(None, {"input": x})
    faces = yunet_faces(outputs, 320)

    rec = ort.InferenceSession(os.path.join(HERE, "face_recognition_sface_2021dec.onnx"), opts)
    crop = photo[60:172, 170:282].astype(np.float32)  # RGB
    y = np.ascontiguousarray(crop.transpose(2, 0, 1)[None])
    feature = rec.run(None, {"data": y})[0][0]

    json.dump(dict(
        source="models/sface_reference.py, onnxruntime " + ort.__version__,
        yunet=dict(input="astronaut.png[0:320, 0:320], BGR", faces=faces),
        sface=dict(input="astronaut.png[60:172, 170:282], RGB", raw=[float(v) for v in feature]),
    ), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
