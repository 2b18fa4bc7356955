#!/usr/bin/env python3
"""Check the converted BlazeFace ONNX models against the TFLite originals.

Usage:
    verify.py --tflite-dir SRC [--onnx-dir DIR] [--draw PNG]

1. Numerical equivalence: runs the TFLite original (tflite-runtime) and the
   ONNX conversion (onnxruntime) on fixed inputs (a seeded random image, a
   constant image, and the astronaut photo) and fails if any output differs by
   more than TOLERANCE.
2. Sanity: runs the ONNX model on scikit-image's astronaut.png (public domain,
   shipped in the scikit-image wheel) with MediaPipe's own pre/post-processing
   (letterbox, [-1,1] scaling, SSD anchors, box decoding, weighted NMS) and
   fails unless a face is found where the face is. This decoder doubles as the
   reference for the Rust implementation (see PROVENANCE.md).
"""

import argparse
import math
import os
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageDraw
from tflite_runtime.interpreter import Interpreter

TOLERANCE = 1e-3

# Values from the mediapipe 0.10.21 wheel's registered subgraphs
# (FaceDetectionShortRange / FaceDetectionFullRange / FaceDetection); see PROVENANCE.md.
MODELS = {
    "face_detection_short_range": dict(
        size=128, num_layers=4, strides=[8, 16, 16, 16], interpolated_scale_aspect_ratio=1.0,
        num_boxes=896, scale=128.0, min_score_thresh=0.5),
    "face_detection_full_range": dict(
        size=192, num_layers=1, strides=[4], interpolated_scale_aspect_ratio=0.0,
        num_boxes=2304, scale=192.0, min_score_thresh=0.6),
}
# Shared SsdAnchorsCalculator / TensorsToDetections / NMS options (FaceDetection graph).
ANCHOR_OFFSET = 0.5
SCORE_CLIPPING_THRESH = 100.0
MIN_SUPPRESSION_THRESHOLD = 0.3
NUM_KEYPOINTS = 6
KEYPOINT_NAMES = ["right_eye", "left_eye", "nose_tip", "mouth_center",
                  "right_ear_tragion", "left_ear_tragion"]

# Where the astronaut's face is in the 512x512 image, forehead to chin and ear
# to ear (read off the image by eye; the detections drawn with --draw agree).
FACE_REGION = dict(xmin=165, xmax=290, ymin=60, ymax=185)


def ssd_anchors(cfg):
    """Anchor centres as MediaPipe's SsdAnchorsCalculator makes them.

    With fixed_anchor_size: true every anchor is w = h = 1, so only the centres
    matter. Consecutive layers sharing a stride are merged: each contributes
    len(aspect_ratios) anchors per cell (+1 if interpolated_scale_aspect_ratio
    > 0), all emitted cell by cell (row-major), anchor-in-cell innermost.
    """
    strides, size = cfg["strides"], cfg["size"]
    aspect_ratios = [1.0]
    anchors = []
    layer = 0
    while layer < cfg["num_layers"]:
        per_cell = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            per_cell += len(aspect_ratios) + (1 if cfg["interpolated_scale_aspect_ratio"] > 0 else 0)
            last += 1
        fm = math.ceil(size / strides[layer])  # feature map height == width
        for y in range(fm):
            for x in range(fm):
                for _ in range(per_cell):
                    anchors.append(((x + ANCHOR_OFFSET) / fm, (y + ANCHOR_OFFSET) / fm))
        layer = last
    a = np.array(anchors, np.float32)  # [N, 2] = (x_center, y_center), normalized
    assert len(a) == cfg["num_boxes"], (len(a), cfg["num_boxes"])
    return a


def letterbox(img, size):
    """Fit the image into size x size keeping aspect ratio, pad with black.

    MediaPipe's ImageToTensorCalculator (keep_aspect_ratio: true,
    border_mode: BORDER_ZERO) pads with 0 before scaling to [-1,1], so the
    padding is -1.0 in the tensor. Returns the tensor and the mapping back.
    """
    w, h = img.size
    s = size / max(w, h)
    nw, nh = round(w * s), round(h * s)
    canvas = Image.new("RGB", (size, size))
    ox, oy = (size - nw) // 2, (size - nh) // 2
    canvas.paste(img.convert("RGB").resize((nw, nh), Image.BILINEAR), (ox, oy))
    t = np.asarray(canvas, np.float32) / 127.5 - 1.0  # RGB, [0,255] -> [-1,1]
    # tensor-normalized coordinate u in [0,1] -> image pixel: (u*size - off) / s
    return t[None], (s, ox, oy)


def decode(regressors, classificators, anchors, cfg):
    """TensorsToDetections: raw outputs -> (score, box, keypoints), normalized.

    reverse_output_order: true means x before y and w before h.
    """
    r = regressors[0]
    scale = cfg["scale"]
    cx = r[:, 0] / scale + anchors[:, 0]
    cy = r[:, 1] / scale + anchors[:, 1]
    w = r[:, 2] / scale
    h = r[:, 3] / scale
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)  # xmin ymin xmax ymax
    kps = r[:, 4:4 + 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2) / scale + anchors[:, None, :]
    # float64: exp(100) overflows float32 (harmless, but it warns).
    logits = np.clip(classificators[0, :, 0].astype(np.float64),
                     -SCORE_CLIPPING_THRESH, SCORE_CLIPPING_THRESH)
    scores = 1.0 / (1.0 + np.exp(-logits))
    return scores, boxes, kps


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def weighted_nms(scores, boxes, kps, min_score):
    """NonMaxSuppressionCalculator, algorithm WEIGHTED, IoU > 0.3 suppresses.

    The kept detection takes the top score of its cluster and the
    score-weighted mean of the cluster's boxes and keypoints.
    """
    order = [i for i in np.argsort(-scores, kind="stable") if scores[i] >= min_score]
    out = []
    while order:
        top = order[0]
        cluster = [i for i in order if iou(boxes[top], boxes[i]) > MIN_SUPPRESSION_THRESHOLD]
        order = [i for i in order if i not in cluster]
        wts = scores[cluster][:, None]
        box = (boxes[cluster] * wts).sum(0) / wts.sum()
        kp = (kps[cluster] * wts[:, :, None]).sum(0) / wts.sum()
        out.append((float(scores[top]), box, kp))
    return out


def run_tflite(path, x):
    it = Interpreter(model_path=path)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def astronaut():
    import skimage  # only to locate the image that ships inside the wheel
    return Image.open(os.path.join(os.path.dirname(skimage.__file__), "data", "astronaut.png"))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--tflite-dir", required=True, help="folder with the source .tflite files")
    ap.add_argument("--onnx-dir", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--draw", help="write the astronaut detections to this PNG")
    args = ap.parse_args(argv)

    img = astronaut()
    failures = []
    passed = 0
    drawn = img.convert("RGB")
    pen = ImageDraw.Draw(drawn)
    for name, cfg in MODELS.items():
        size = cfg["size"]
        sess = ort.InferenceSession(os.path.join(args.onnx_dir, name + ".onnx"),
                                    providers=["CPUExecutionProvider"])
        assert [i.name for i in sess.get_inputs()] == ["input"]
        assert [o.name for o in sess.get_outputs()] == ["regressors", "classificators"]
        tflite_path = os.path.join(args.tflite_dir, name + ".tflite")
        face, (s, ox, oy) = letterbox(img, size)
        inputs = {
            "seeded random U(-1,1)": np.random.default_rng(20240501).uniform(
                -1, 1, (1, size, size, 3)).astype(np.float32),
            "constant 0.0": np.zeros((1, size, size, 3), np.float32),
            "astronaut": face,
        }
        # 1. TFLite vs ONNX.
        for label, x in inputs.items():
            ref = run_tflite(tflite_path, x)
            got = sess.run(None, {"input": x})
            for out_name, a, b in zip(("regressors", "classificators"), ref, got):
                assert a.shape == b.shape == (1, cfg["num_boxes"], 16 if out_name == "regressors" else 1)
                d = float(np.abs(a - b).max())
                ok = d <= TOLERANCE
                print(f"{name}: {label:22s} {out_name:15s} max|tflite-onnx| = {d:.3e} "
                      f"(max|tflite| = {float(np.abs(a).max()):.1f}) {'ok' if ok else 'FAIL'}")
                if ok:
                    passed += 1
                else:
                    failures.append(f"{name} {label} {out_name}: {d}")

        # 2. Detect the astronaut's face with the ONNX model.
        reg, cls = sess.run(None, {"input": face})
        scores, boxes, kps = decode(reg, cls, ssd_anchors(cfg), cfg)

        def to_px(u, v):
            return (u * size - ox) / s, (v * size - oy) / s

        top = int(np.argmax(scores))
        x0, y0 = to_px(boxes[top][0], boxes[top][1])
        x1, y1 = to_px(boxes[top][2], boxes[top][3])
        print(f"{name}: top anchor #{top} score {scores[top]:.4f} "
              f"box x {x0:.1f}..{x1:.1f} y {y0:.1f}..{y1:.1f} px")
        for kname, (u, v) in zip(KEYPOINT_NAMES, kps[top]):
            px, py = to_px(u, v)
            print(f"    {kname:18s} ({px:6.1f}, {py:6.1f})")
        dets = weighted_nms(scores, boxes, kps, cfg["min_score_thresh"])
        print(f"{name}: {len(dets)} detection(s) after score >= {cfg['min_score_thresh']} "
              f"and weighted NMS")
        for score, box, kp in dets:
            bx0, by0 = to_px(box[0], box[1])
            bx1, by1 = to_px(box[2], box[3])
            print(f"    score {score:.4f} box x {bx0:.1f}..{bx1:.1f} y {by0:.1f}..{by1:.1f} px")
            color = (255, 0, 0) if size == 128 else (0, 160, 255)
            pen.rectangle([bx0, by0, bx1, by1], outline=color, width=2)
            for k, (u, v) in enumerate(kp):
                px, py = to_px(u, v)
                pen.ellipse([px - 3, py - 3, px + 3, py + 3], fill=color)
                pen.text((px + 4, py - 4), str(k), fill=color)

        r = FACE_REGION
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        checks = {
            "score > min_score_thresh": scores[top] > cfg["min_score_thresh"],
            "exactly one face after NMS": len(dets) == 1,
            "box centre in face region": r["xmin"] < cx < r["xmax"] and r["ymin"] < cy < r["ymax"],
            "box inside face region (+20 px)": (x0 > r["xmin"] - 20 and x1 < r["xmax"] + 20
                                                and y0 > r["ymin"] - 20 and y1 < r["ymax"] + 20),
            "box at least 50 px wide": x1 - x0 > 50,
            # The subject's right eye is on the image's left in a non-mirrored photo.
            "right eye left of left eye": kps[top][0][0] < kps[top][1][0],
            "eyes above nose above mouth": (max(kps[top][0][1], kps[top][1][1]) < kps[top][2][1]
                                            < kps[top][3][1]),
        }
        for what, ok in checks.items():
            print(f"    check {what}: {'ok' if ok else 'FAIL'}")
            if ok:
                passed += 1
            else:
                failures.append(f"{name}: {what}")

    if args.draw:
        drawn.save(args.draw)
        print(f"drew detections to {args.draw} (red: short range, blue: full range)")
    if failures:
        print("failed checks:\n  " + "\n  ".join(failures))
    # The plain closing line CI runners count.
    print(f"verify: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
