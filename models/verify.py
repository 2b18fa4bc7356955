#!/usr/bin/env python3
"""Check the converted MediaPipe ONNX models against the TFLite originals.

Usage:
    verify.py --tflite-dir SRC [--onnx-dir DIR] [--draw PNG] [--draw-mask PNG]

Face detectors (BlazeFace):

1. Numerical equivalence: runs the TFLite original (tflite-runtime) and the
   ONNX conversion (onnxruntime) on fixed inputs (a seeded random image, a
   constant image, and the astronaut photo) and fails if any output differs by
   more than TOLERANCE.
2. Sanity: runs the ONNX model on scikit-image's astronaut.png (public domain,
   shipped in the scikit-image wheel) with MediaPipe's own pre/post-processing
   (letterbox, [-1,1] scaling, SSD anchors, box decoding, weighted NMS) and
   fails unless a face is found where the face is. This decoder doubles as the
   reference for the Rust implementation (see PROVENANCE.md).

Selfie segmentation:
1. Numerical equivalence. tflite-runtime cannot run the whole model: its last
   layer is MediaPipe's custom op Convolution2DTransposeBias. So the TFLite
   graph is cut just before that op (cut_before_custom_op) and run by
   tflite-runtime; the custom op is then applied in numpy
   (transpose_conv_bias, a transcription of MediaPipe's reference kernel) to
   TFLite's features and weights, followed by the model's final LOGISTIC.
   Compared against the ONNX model: the features entering the custom op, the
   mask logits and the mask itself.
2. Sanity: the ONNX mask of astronaut.png (stretched to 256x256, [0,1]) must
   be high on the astronaut's face and torso and low on the background.
"""

import argparse
import math
import os
import struct
import sys

import numpy as np
import onnx
import onnxruntime as ort
import tflite
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

SEGMENTATION = "selfie_segmentation"
SEGMENTATION_SIZE = 256
# Regions of the 512x512 astronaut photo, (x0, y0, x1, y1) in pixels, read off
# the image by eye: the mean mask (resized back to 512x512) must be > 0.8 on
# the person and < 0.2 on the background (the model of the shuttle is a
# deliberately harder background patch).
PERSON_REGIONS = {"face": (185, 75, 270, 180), "torso": (80, 260, 260, 420)}
BACKGROUND_REGIONS = {"top-left corner": (0, 0, 64, 64), "shuttle model": (370, 0, 470, 250)}


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


def cut_before_custom_op(buf):
    """The TFLite model without its custom op, for tflite-runtime.

    Returns (model bytes, custom operator). The subgraph's operator vector is
    shortened in place to end before the custom op, and the graph output
    becomes the op's data input. The unused custom operator code left behind
    is harmless: tflite-runtime only fails on unresolved custom ops that are
    actually executed. Checks that what is cut is exactly the custom op and
    the LOGISTIC producing the graph output (what _segmentation_reference
    re-applies).
    """
    model = tflite.Model.GetRootAsModel(buf, 0)
    g = model.Subgraphs(0)
    ops = [g.Operators(i) for i in range(g.OperatorsLength())]
    kinds = []
    for op in ops:
        oc = model.OperatorCodes(op.OpcodeIndex())
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        kinds.append(oc.CustomCode().decode() if code == tflite.BuiltinOperator.CUSTOM else code)
    k = kinds.index("Convolution2DTransposeBias")
    custom, tail = ops[k], ops[k + 1:]
    if not (len(tail) == 1 and kinds[k + 1] == tflite.BuiltinOperator.LOGISTIC
            and tail[0].Inputs(0) == custom.Outputs(0)
            and g.OutputsLength() == 1 and g.Outputs(0) == tail[0].Outputs(0)):
        raise ValueError("unexpected graph after the custom op")
    out = bytearray(buf)
    tab = g._tab  # flatbuffers table of the SubGraph; vtable slots: outputs 8, operators 10
    struct.pack_into("<i", out, tab.Vector(tab.Offset(8)), custom.Inputs(0))
    struct.pack_into("<I", out, tab.Vector(tab.Offset(10)) - 4, k)
    return bytes(out), custom


def transpose_conv_bias(x, w, b, options):
    """MediaPipe's Convolution2DTransposeBias, float64 numpy reference.

    x [1, H, W, Cin], w OHWI [Cout, kh, kw, Cin], b [Cout]; options is the raw
    TfLiteTransposeConvParams {int32 padding (1 SAME, 2 VALID), stride_w,
    stride_h}. Follows mediapipe/util/tflite/operations/transpose_conv_bias.cc:
    every input pixel adds w * x at (in * stride - pad_before + filter offset),
    out-of-range contributions are dropped, the output starts at the bias.
    """
    padding, sw, sh = struct.unpack("<iii", options)
    _, ih, iw, _ = x.shape
    cout, kh, kw, _ = w.shape
    ph = max(0, kh - (ih - 1) % sh - 1) if padding == 1 else 0
    pw = max(0, kw - (iw - 1) % sw - 1) if padding == 1 else 0
    oh, ow = sh * (ih - 1) + kh - ph, sw * (iw - 1) + kw - pw
    full = np.zeros((1, sh * (ih - 1) + kh, sw * (iw - 1) + kw, cout))
    x, w = x.astype(np.float64), w.astype(np.float64)
    for fy in range(kh):
        for fx in range(kw):
            full[:, fy:fy + sh * (ih - 1) + 1:sh, fx:fx + sw * (iw - 1) + 1:sw, :] += np.einsum(
                "nhwc,oc->nhwo", x, w[:, fy, fx, :])
    return full[:, ph // 2:ph // 2 + oh, pw // 2:pw // 2 + ow, :] + b


def segmentation_reference(tflite_path):
    """A function input -> (features before the custom op, logits, mask).

    Everything but the custom op runs in tflite-runtime; the custom op's
    weights and bias are read from that interpreter too (they are fp16
    constants DEQUANTIZE'd at run time).
    """
    cut, custom = cut_before_custom_op(open(tflite_path, "rb").read())
    it = Interpreter(model_content=cut, experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    options = custom.CustomOptionsAsNumpy().tobytes()

    def run(x):
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        feats = it.get_tensor(it.get_output_details()[0]["index"])
        w, b = it.get_tensor(custom.Inputs(1)), it.get_tensor(custom.Inputs(2))
        logits = transpose_conv_bias(feats, w, b, options)
        return feats, logits, np.exp(-np.logaddexp(0.0, -logits))  # sigmoid, no overflow
    return run


def onnx_with_internals(path):
    """The ONNX model with two extra outputs: ConvTranspose's input and output
    (NCHW), to compare the features and logits, not just the saturating mask."""
    model = onnx.load(path)
    (deconv,) = [n for n in model.graph.node if n.op_type == "ConvTranspose"]
    for name in (deconv.input[0], deconv.output[0]):
        model.graph.output.append(onnx.ValueInfoProto(name=name))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])

    def run(x):
        mask, feats, logits = sess.run(None, {"input": x})
        return feats.transpose(0, 2, 3, 1), logits.transpose(0, 2, 3, 1), mask
    return run


def verify_segmentation(args, img):
    """Returns (passed, failures) for the selfie segmentation model."""
    passed, failures = 0, []
    size = SEGMENTATION_SIZE
    onnx_path = os.path.join(args.onnx_dir, SEGMENTATION + ".onnx")
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["input"]
    assert [o.name for o in sess.get_outputs()] == ["mask"]
    reference = segmentation_reference(os.path.join(args.tflite_dir, SEGMENTATION + ".tflite"))
    internals = onnx_with_internals(onnx_path)

    # MediaPipe's SelfieSegmentationCpu graph: the whole image stretched to
    # 256x256 (keep_aspect_ratio: false), RGB scaled to [0, 1].
    photo = np.asarray(img.convert("RGB").resize((size, size), Image.BILINEAR), np.float32)[None] / 255.0
    inputs = {
        "seeded random U(0,1)": np.random.default_rng(20240501).uniform(
            0, 1, (1, size, size, 3)).astype(np.float32),
        "constant 0.5": np.full((1, size, size, 3), 0.5, np.float32),
        "astronaut": photo,
    }
    for label, x in inputs.items():
        want = reference(x)
        got = internals(x)
        mask = sess.run(None, {"input": x})[0]
        assert mask.shape == (1, size, size, 1)
        if not np.array_equal(mask, got[2]):
            failures.append(f"{SEGMENTATION} {label}: extra outputs changed the mask")
        for what, a, b in zip(("features", "logits", "mask"), want, got):
            assert a.shape == b.shape, (what, a.shape, b.shape)
            d = float(np.abs(a - b).max())
            # The logits reach ~900 in magnitude (the mask saturates to 0/1):
            # float32 rounding there is ~1e-3, so the tolerance is TOLERANCE
            # per 100 of output magnitude (the face outputs reach ~200 with an
            # absolute 1e-3); the mask, in [0, 1], gets TOLERANCE itself.
            tol = TOLERANCE * max(1.0, float(np.abs(a).max()) / 100.0)
            ok = d <= tol
            print(f"{SEGMENTATION}: {label:22s} {what:9s} max|reference-onnx| = {d:.3e} "
                  f"(max|reference| = {float(np.abs(a).max()):.1f}, tolerance {tol:.1e}) "
                  f"{'ok' if ok else 'FAIL'}")
            if ok:
                passed += 1
            else:
                failures.append(f"{SEGMENTATION} {label} {what}: {d}")

    # The mask of the astronaut photo, back at the image size as MediaPipe's
    # TensorsToSegmentationCalculator returns it (bilinear).
    mask = sess.run(None, {"input": photo})[0][0, :, :, 0]
    full = np.asarray(Image.fromarray(mask, "F").resize(img.size, Image.BILINEAR))
    checks = {}
    for name, (x0, y0, x1, y1) in PERSON_REGIONS.items():
        m = float(full[y0:y1, x0:x1].mean())
        print(f"{SEGMENTATION}: mean mask on {name} x {x0}..{x1} y {y0}..{y1} = {m:.4f}")
        checks[f"{name} mean > 0.8"] = m > 0.8
    for name, (x0, y0, x1, y1) in BACKGROUND_REGIONS.items():
        m = float(full[y0:y1, x0:x1].mean())
        print(f"{SEGMENTATION}: mean mask on {name} x {x0}..{x1} y {y0}..{y1} = {m:.4f}")
        checks[f"{name} mean < 0.2"] = m < 0.2
    for what, ok in checks.items():
        print(f"    check {what}: {'ok' if ok else 'FAIL'}")
        if ok:
            passed += 1
        else:
            failures.append(f"{SEGMENTATION}: {what}")

    if args.draw_mask:
        # photo | mask | photo dimmed where the mask is low; regions outlined.
        rgb = np.asarray(img.convert("RGB"), np.float32)
        grey = np.repeat(np.clip(full, 0, 1)[..., None] * 255.0, 3, axis=2)
        cut = rgb * (0.25 + 0.75 * np.clip(full, 0, 1)[..., None])
        panel = Image.fromarray(np.concatenate([rgb, grey, cut], 1).round().astype(np.uint8))
        pen = ImageDraw.Draw(panel)
        for dx in (0, 2 * img.size[0]):
            for color, regions in (((0, 200, 0), PERSON_REGIONS), ((255, 0, 0), BACKGROUND_REGIONS)):
                for x0, y0, x1, y1 in regions.values():
                    pen.rectangle([x0 + dx, y0, x1 + dx, y1], outline=color, width=2)
        panel.save(args.draw_mask)
        print(f"drew the segmentation to {args.draw_mask} (photo | mask | masked; "
              "green: person regions, red: background regions)")
    return passed, failures


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--tflite-dir", required=True, help="folder with the source .tflite files")
    ap.add_argument("--onnx-dir", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--draw", help="write the astronaut detections to this PNG")
    ap.add_argument("--draw-mask", help="write the astronaut segmentation to this PNG")
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

    seg_passed, seg_failures = verify_segmentation(args, img)
    passed += seg_passed
    failures += seg_failures

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
