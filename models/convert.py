#!/usr/bin/env python3
"""Convert MediaPipe's face detectors and selfie segmenter from TFLite to ONNX.

Why this exists: the app runs the models with `tract-onnx`, and tract cannot
run the original .tflite files (fp16 DEQUANTIZE, a MediaPipe custom op, etc.).
The models are small plain CNNs, so a direct op-by-op translation is simpler
and more auditable than a general converter (tf2onnx would drag in all of
TensorFlow).

Usage:
    convert.py --out-dir DIR SRC [SRC ...]

SRC is a .tflite file named after one of KNOWN_MODELS or a folder holding any
of `face_detection_short_range.tflite`, `face_detection_full_range.tflite` and
`selfie_segmentation.tflite` (see fetch.sh). Each `<name>.tflite` becomes
`DIR/<name>.onnx`. Nothing is downloaded here.

The produced graphs (opset 13, IR 7):
  face detectors:
    input  "input"          float32 [1, H, W, 3]  NHWC, RGB scaled to [-1, 1]
    output "regressors"     float32 [1, N, 16]
    output "classificators" float32 [1, N, 1]     (raw logits)
  selfie segmentation:
    input  "input"          float32 [1, 256, 256, 3]  NHWC, RGB scaled to [0, 1]
    output "mask"           float32 [1, 256, 256, 1]  NHWC, person probability
The input stays NHWC like the TFLite model (one Transpose to NCHW at the start),
so pre-processing code is the same for both runtimes.

The output is deterministic: same inputs + same pinned package versions give
byte-identical files (fixed producer fields, no timestamps, names derived from
TFLite indices, protobuf serialized with deterministic=True).
"""

import argparse
import hashlib
import os
import sys

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 7  # the lowest IR version that carries opset 13: widest runtime support
PRODUCER_NAME = "photoroll-models-convert"
PRODUCER_VERSION = "1"

# Per model: the ONNX names of the TFLite outputs (in TFLite order), a check of
# each output's shape, and the doc string stored in the graph. The detectors'
# outputs are [regressors, classificators] in this order (the full-range file
# calls them reshaped_*_face_4); both ONNX files use the same names so Rust
# code needs no per-model names.
_FACE = dict(
    outputs=("regressors", "classificators"),
    check_shape=lambda k, s: len(s) == 3 and s[2] == (16, 1)[k],
    doc="Input NHWC RGB in [-1,1]; outputs are raw box/keypoint regressions and score logits "
        "per SSD anchor. See models/PROVENANCE.md.")
MODELS = {
    "face_detection_short_range": _FACE,
    "face_detection_full_range": _FACE,
    "selfie_segmentation": dict(
        outputs=("mask",),
        check_shape=lambda k, s: s == [1, 256, 256, 1],
        doc="Input NHWC RGB in [0,1] (the whole image stretched to 256x256); output NHWC "
            "person probability per pixel. See models/PROVENANCE.md."),
}
KNOWN_MODELS = tuple(MODELS)

_OPNAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_ACT = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
_NP_DTYPES = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
    tflite.TensorType.INT64: np.int64,
}

# NHWC <-> NCHW permutations.
TO_NCHW = (0, 3, 1, 2)
TO_NHWC = (0, 2, 3, 1)


class Converter:
    """Translate one TFLite subgraph into an ONNX graph.

    Every 4-D activation is kept in NCHW inside the ONNX graph (what ONNX Conv,
    MaxPool and Resize need); `self.nchw` records which ONNX tensors are such
    transposed copies of an NHWC TFLite tensor, so that shape-sensitive ops
    (RESHAPE, CONCATENATION, PAD, ...) can map their NHWC axes.
    """

    def __init__(self, buf: bytes):
        self.model = tflite.Model.GetRootAsModel(buf, 0)
        if self.model.SubgraphsLength() != 1:
            raise ValueError("expected exactly one subgraph")
        self.g = self.model.Subgraphs(0)
        self.buf = buf
        self.nodes = []
        self.initializers = []
        self.consts = {}  # tflite tensor index -> np.ndarray (folded constants)
        self.names = {}  # tflite tensor index -> onnx tensor name
        self.nchw = set()  # onnx names that hold NCHW views of NHWC tensors
        self.scalars = {}  # float value -> name of a shared scalar initializer
        self._uid = 0

    # ---- helpers -------------------------------------------------------------

    def tensor(self, idx):
        return self.g.Tensors(idx)

    def shape(self, idx):
        return [int(d) for d in self.tensor(idx).ShapeAsNumpy()]

    def const_data(self, idx):
        """The constant value of a tensor, or None if it is an activation."""
        if idx in self.consts:
            return self.consts[idx]
        t = self.tensor(idx)
        b = self.model.Buffers(t.Buffer())
        if b.DataLength() == 0:
            if b.Offset() > 1:  # out-of-flatbuffer storage (only used for >2 GB models)
                raw = self.buf[b.Offset(): b.Offset() + b.Size()]
            else:
                return None
        else:
            raw = b.DataAsNumpy().tobytes()
        if t.Type() not in _NP_DTYPES:
            raise ValueError(f"unsupported constant type {t.Type()} for tensor {idx}")
        if t.Sparsity() is not None:
            raise ValueError("sparse tensors are not supported: use the dense model (npm package)")
        arr = np.frombuffer(raw, dtype=np.dtype(_NP_DTYPES[t.Type()]).newbyteorder("<"))
        arr = arr.reshape(self.shape(idx)).astype(arr.dtype.newbyteorder("="))
        self.consts[idx] = arr
        return arr

    def fresh(self, stem):
        self._uid += 1
        return f"{stem}_{self._uid}"

    def add_init(self, stem, arr):
        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def scalar(self, value):
        """A float32 scalar initializer, shared by every use of the same value."""
        if value not in self.scalars:
            self.scalars[value] = self.add_init("scalar", np.array(value, np.float32))
        return self.scalars[value]

    def node(self, op_type, inputs, stem, outputs=None, **attrs):
        outputs = outputs or [self.fresh(stem)]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=self.fresh(op_type), **attrs))
        return outputs[0]

    def act_in(self, idx, want_nchw=True):
        """ONNX name of an activation input, in NCHW if 4-D and `want_nchw`."""
        if self.const_data(idx) is not None:
            arr = self.consts[idx].astype(np.float32)
            if arr.ndim == 4 and want_nchw:
                arr = arr.transpose(TO_NCHW)
            return self.add_init("const", arr)
        name = self.names[idx]
        if len(self.shape(idx)) == 4:
            if want_nchw and name not in self.nchw:
                name = self.node("Transpose", [name], "to_nchw", perm=list(TO_NCHW))
                self.nchw.add(name)
            elif not want_nchw and name in self.nchw:
                name = self.node("Transpose", [name], "to_nhwc", perm=list(TO_NHWC))
        return name

    def set_out(self, idx, name, is_nchw):
        self.names[idx] = name
        if is_nchw:
            self.nchw.add(name)

    def fused_act(self, name, act, stem):
        """TFLite folds activations into ops; ONNX needs a separate node."""
        if act == tflite.ActivationFunctionType.NONE:
            return name
        if act == tflite.ActivationFunctionType.RELU:
            return self.node("Relu", [name], stem)
        if act == tflite.ActivationFunctionType.RELU6:
            lo = self.add_init("zero", np.array(0.0, np.float32))
            hi = self.add_init("six", np.array(6.0, np.float32))
            return self.node("Clip", [name, lo, hi], stem)
        raise ValueError(f"unsupported fused activation {_ACT.get(act, act)}")

    @staticmethod
    def same_pads(in_hw, k_hw, s_hw, d_hw):
        """Explicit ONNX pads [top, left, bottom, right] equal to TFLite SAME.

        TFLite puts the odd extra pixel at the bottom/right; written out
        explicitly so no runtime has to agree on SAME_UPPER semantics.
        """
        begin, end = [], []
        for n, k, s, d in zip(in_hw, k_hw, s_hw, d_hw):
            out = -(-n // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
            begin.append(total // 2)
            end.append(total - total // 2)
        return begin + end

    def pads_for(self, padding, in_hw, k_hw, s_hw, d_hw):
        if padding == tflite.Padding.SAME:
            return self.same_pads(in_hw, k_hw, s_hw, d_hw)
        if padding == tflite.Padding.VALID:
            return [0, 0, 0, 0]
        raise ValueError(f"unsupported padding {padding}")

    # ---- ops -----------------------------------------------------------------

    def op_dequantize(self, op, _opts):
        # Only constant weights are dequantized in these models: fold fp16 -> fp32.
        src = self.const_data(op.Inputs(0))
        if src is None:
            raise ValueError("DEQUANTIZE of a non-constant tensor is not supported")
        if src.dtype != np.float16:
            raise ValueError(f"DEQUANTIZE from {src.dtype} is not supported (only fp16)")
        self.consts[op.Outputs(0)] = src.astype(np.float32)

    def _conv(self, op, opts, depthwise):
        x_idx, w_idx = op.Inputs(0), op.Inputs(1)
        w = self.const_data(w_idx)
        if w is None:
            raise ValueError("convolution with non-constant weights is not supported")
        w = w.astype(np.float32)
        in_shape = self.shape(x_idx)
        if depthwise:
            c = tflite.DepthwiseConv2DOptions()
            c.Init(opts.Bytes, opts.Pos)
            # TFLite depthwise weights are [1, kh, kw, C*mult]; ONNX wants
            # [C*mult, 1, kh, kw] with group=C.
            kh, kw = w.shape[1], w.shape[2]
            w_onnx = w.transpose(3, 0, 1, 2)
            group = in_shape[3]
            if w.shape[3] != group * c.DepthMultiplier():
                raise ValueError("depthwise weight/channel mismatch")
        else:
            c = tflite.Conv2DOptions()
            c.Init(opts.Bytes, opts.Pos)
            # TFLite conv weights are OHWI; ONNX wants OIHW.
            kh, kw = w.shape[1], w.shape[2]
            w_onnx = w.transpose(0, 3, 1, 2)
            group = 1
        strides = [c.StrideH(), c.StrideW()]
        dil = [c.DilationHFactor(), c.DilationWFactor()]
        pads = self.pads_for(c.Padding(), in_shape[1:3], [kh, kw], strides, dil)
        inputs = [self.act_in(x_idx), self.add_init("weight", w_onnx)]
        if op.InputsLength() > 2 and op.Inputs(2) >= 0:
            b = self.const_data(op.Inputs(2))
            if b is None:
                raise ValueError("non-constant bias is not supported")
            inputs.append(self.add_init("bias", b.astype(np.float32)))
        y = self.node("Conv", inputs, "conv", kernel_shape=[kh, kw], strides=strides,
                      dilations=dil, pads=pads, group=group)
        y = self.fused_act(y, c.FusedActivationFunction(), "act")
        self.set_out(op.Outputs(0), y, True)

    def op_conv_2d(self, op, opts):
        self._conv(op, opts, depthwise=False)

    def op_depthwise_conv_2d(self, op, opts):
        self._conv(op, opts, depthwise=True)

    def _binary(self, op, opts, options_cls, onnx_op, stem):
        c = options_cls()
        c.Init(opts.Bytes, opts.Pos)
        a_idx, b_idx = op.Inputs(0), op.Inputs(1)
        a_shape, b_shape = self.shape(a_idx), self.shape(b_idx)
        if a_shape != b_shape and not (len(a_shape) == len(b_shape) == 4 and all(
                p == q or 1 in (p, q) for p, q in zip(a_shape, b_shape))):
            # Residual adds have equal shapes; the squeeze-and-excitation MULs
            # scale [1,H,W,C] by [1,1,1,C]. Both operands of a 4-D op are
            # transposed to NCHW alike, so such broadcasts stay valid. Other
            # broadcasts (e.g. an NHWC operand against a lower-rank one) would
            # need axis remapping.
            raise ValueError(f"broadcasting {onnx_op} of {a_shape} and {b_shape} is not supported")
        four_d = len(a_shape) == 4
        y = self.node(onnx_op, [self.act_in(a_idx, four_d), self.act_in(b_idx, four_d)], stem)
        y = self.fused_act(y, c.FusedActivationFunction(), "act")
        self.set_out(op.Outputs(0), y, four_d)

    def op_add(self, op, opts):
        self._binary(op, opts, tflite.AddOptions, "Add", "add")

    def op_mul(self, op, opts):
        self._binary(op, opts, tflite.MulOptions, "Mul", "mul")

    def _unary(self, op, make):
        x_idx = op.Inputs(0)
        four_d = len(self.shape(x_idx)) == 4
        self.set_out(op.Outputs(0), make(self.act_in(x_idx, four_d)), four_d)

    def op_logistic(self, op, _opts):
        self._unary(op, lambda x: self.node("Sigmoid", [x], "sigmoid"))

    def op_hard_swish(self, op, _opts):
        # ONNX HardSwish only exists from opset 14: spell out TFLite's
        # x * min(max(x + 3, 0), 6) / 6 with opset-13 ops.
        def make(x):
            t = self.node("Add", [x, self.scalar(3.0)], "hswish_add")
            t = self.node("Clip", [t, self.scalar(0.0), self.scalar(6.0)], "hswish_clip")
            t = self.node("Mul", [x, t], "hswish_mul")
            return self.node("Div", [t, self.scalar(6.0)], "hswish")
        self._unary(op, make)

    def op_relu(self, op, _opts):
        x_idx = op.Inputs(0)
        four_d = len(self.shape(x_idx)) == 4
        self.set_out(op.Outputs(0), self.node("Relu", [self.act_in(x_idx, four_d)], "relu"), four_d)

    def op_pad(self, op, _opts):
        # In these models PAD zero-pads channels on the residual branch so it
        # matches a wider block output.
        x_idx = op.Inputs(0)
        p = self.const_data(op.Inputs(1))
        if p is None or len(self.shape(x_idx)) != 4:
            raise ValueError("only constant paddings of 4-D tensors are supported")
        p = p.astype(np.int64).reshape(4, 2)[list(TO_NCHW)]  # NHWC rows -> NCHW rows
        pads = self.add_init("pads", np.concatenate([p[:, 0], p[:, 1]]))
        y = self.node("Pad", [self.act_in(x_idx), pads], "pad", mode="constant")
        self.set_out(op.Outputs(0), y, True)

    def op_max_pool_2d(self, op, opts):
        c = tflite.Pool2DOptions()
        c.Init(opts.Bytes, opts.Pos)
        x_idx = op.Inputs(0)
        k = [c.FilterHeight(), c.FilterWidth()]
        s = [c.StrideH(), c.StrideW()]
        # (Both models use VALID 2x2/2 pools. Were SAME padding used, ONNX
        # MaxPool ignores padded cells just as TFLite does, so explicit pads fit.)
        pads = self.pads_for(c.Padding(), self.shape(x_idx)[1:3], k, s, [1, 1])
        y = self.node("MaxPool", [self.act_in(x_idx)], "maxpool", kernel_shape=k, strides=s, pads=pads)
        y = self.fused_act(y, c.FusedActivationFunction(), "act")
        self.set_out(op.Outputs(0), y, True)

    def op_average_pool_2d(self, op, opts):
        c = tflite.Pool2DOptions()
        c.Init(opts.Bytes, opts.Pos)
        x_idx = op.Inputs(0)
        k = [c.FilterHeight(), c.FilterWidth()]
        s = [c.StrideH(), c.StrideW()]
        # TFLite averages over the cells inside the image only (padding is not
        # counted), which is ONNX count_include_pad=0. (The segmentation model
        # only has VALID global pools, kernel = input size, where both agree.)
        pads = self.pads_for(c.Padding(), self.shape(x_idx)[1:3], k, s, [1, 1])
        y = self.node("AveragePool", [self.act_in(x_idx)], "avgpool", kernel_shape=k, strides=s,
                      pads=pads, count_include_pad=0)
        y = self.fused_act(y, c.FusedActivationFunction(), "act")
        self.set_out(op.Outputs(0), y, True)

    def op_custom_convolution2dtransposebias(self, op, _opts):
        """MediaPipe's custom transposed convolution with bias.

        Inputs: data [1, H, W, Cin], weights OHWI [Cout, kh, kw, Cin], bias
        [Cout]. custom_options is a raw TfLiteTransposeConvParams struct
        {int32 padding (1 = SAME, 2 = VALID), int32 stride_w, int32 stride_h}.
        Output size is s*(in-1) + k - pad with pad = max(0, k - (in-1) % s - 1)
        for SAME (0 for VALID), of which pad // 2 is cut at the top/left and
        the rest at the bottom/right (mediapipe/util/tflite/operations/
        transpose_conv_bias.cc). That is ONNX ConvTranspose with explicit pads.
        """
        raw = op.CustomOptionsAsNumpy().tobytes()
        if len(raw) != 12:
            raise ValueError(f"unexpected Convolution2DTransposeBias options {raw.hex()}")
        padding, stride_w, stride_h = (int(v) for v in np.frombuffer(raw, "<i4"))
        if padding not in (1, 2):
            raise ValueError(f"unsupported Convolution2DTransposeBias padding {padding}")
        x_idx = op.Inputs(0)
        w, b = self.const_data(op.Inputs(1)), self.const_data(op.Inputs(2))
        if w is None or b is None:
            raise ValueError("Convolution2DTransposeBias with non-constant weights is not supported")
        cout, kh, kw, cin = w.shape
        _, in_h, in_w, in_c = self.shape(x_idx)
        if in_c != cin or b.shape != (cout,):
            raise ValueError("Convolution2DTransposeBias weight/bias/channel mismatch")
        pad = [0, 0]
        if padding == 1:
            pad = [max(0, k - (n - 1) % s - 1) for k, n, s in zip((kh, kw), (in_h, in_w), (stride_h, stride_w))]
        out_hw = [s * (n - 1) + k - p for s, n, k, p in
                  zip((stride_h, stride_w), (in_h, in_w), (kh, kw), pad)]
        if [1] + out_hw + [cout] != self.shape(op.Outputs(0)):
            raise ValueError("Convolution2DTransposeBias output shape mismatch")
        pads = [p // 2 for p in pad] + [p - p // 2 for p in pad]
        # ONNX ConvTranspose weights are [Cin, Cout, kh, kw].
        inputs = [self.act_in(x_idx), self.add_init("weight", w.astype(np.float32).transpose(3, 0, 1, 2)),
                  self.add_init("bias", b.astype(np.float32))]
        y = self.node("ConvTranspose", inputs, "deconv", kernel_shape=[kh, kw],
                      strides=[stride_h, stride_w], pads=pads)
        self.set_out(op.Outputs(0), y, True)

    def op_resize_bilinear(self, op, opts):
        c = tflite.ResizeBilinearOptions()
        c.Init(opts.Bytes, opts.Pos)
        x_idx = op.Inputs(0)
        n, _, _, ch = self.shape(x_idx)
        oh, ow = self.shape(op.Outputs(0))[1:3]
        # TFLite's (align_corners, half_pixel_centers) flags map onto ONNX
        # coordinate transformation modes; TF clamps out-of-range source
        # coordinates to the edge, as ONNX linear resize does.
        if c.AlignCorners():
            mode = "align_corners"
        elif c.HalfPixelCenters():
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        sizes = self.add_init("sizes", np.array([n, ch, oh, ow], np.int64))
        y = self.node("Resize", [self.act_in(x_idx), "", "", sizes], "resize",
                      mode="linear", coordinate_transformation_mode=mode)
        self.set_out(op.Outputs(0), y, True)

    def op_reshape(self, op, _opts):
        # TFLite reshapes NHWC memory order, so go back to NHWC first. The
        # target shape is the output tensor's static shape (same as new_shape).
        x_idx = op.Inputs(0)
        shape = self.add_init("shape", np.array(self.shape(op.Outputs(0)), np.int64))
        y = self.node("Reshape", [self.act_in(x_idx, want_nchw=False), shape], "reshape")
        self.set_out(op.Outputs(0), y, False)

    def op_concatenation(self, op, opts):
        c = tflite.ConcatenationOptions()
        c.Init(opts.Bytes, opts.Pos)
        idxs = [op.Inputs(i) for i in range(op.InputsLength())]
        rank = len(self.shape(idxs[0]))
        axis = c.Axis() % rank
        four_d = rank == 4
        if four_d:
            axis = TO_NCHW.index(axis)
        y = self.node("Concat", [self.act_in(i, four_d) for i in idxs], "concat", axis=axis)
        y = self.fused_act(y, c.FusedActivationFunction(), "act")
        self.set_out(op.Outputs(0), y, four_d)

    # ---- driver --------------------------------------------------------------

    def convert(self, graph_name, doc, spec):
        g = self.g
        output_names = spec["outputs"]
        if g.InputsLength() != 1 or g.OutputsLength() != len(output_names):
            raise ValueError(f"expected 1 input and {len(output_names)} output(s)")
        in_idx = g.Inputs(0)
        in_shape = self.shape(in_idx)
        if len(in_shape) != 4 or in_shape[0] != 1 or in_shape[3] != 3:
            raise ValueError(f"unexpected input shape {in_shape}")
        self.names[in_idx] = "input"

        for i in range(g.OperatorsLength()):
            op = g.Operators(i)
            oc = self.model.OperatorCodes(op.OpcodeIndex())
            # Newer schemas keep codes > 127 in BuiltinCode and 127 in the
            # deprecated byte; older files only fill the deprecated byte.
            code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
            opname = _OPNAMES.get(code, str(code))
            if opname == "CUSTOM":
                opname = "CUSTOM_" + oc.CustomCode().decode()
            handler = getattr(self, "op_" + opname.lower(), None)
            if handler is None:
                raise ValueError(f"unsupported TFLite op {opname} (operator #{i})")
            handler(op, op.BuiltinOptions())

        outputs = []
        for k, out_name in enumerate(output_names):
            idx = g.Outputs(k)
            shape = self.shape(idx)
            if not spec["check_shape"](k, shape):
                raise ValueError(f"output {k} has unexpected shape {shape}")
            # An Identity gives the output a stable, model-independent name.
            # 4-D outputs go back to NHWC, the TFLite layout.
            self.node("Identity", [self.act_in(idx, want_nchw=False)], "out", outputs=[out_name])
            outputs.append(helper.make_tensor_value_info(out_name, TensorProto.FLOAT, shape))

        graph = helper.make_graph(
            self.nodes, graph_name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
            outputs, initializer=self.initializers, doc_string=doc)
        model = helper.make_model(
            graph, producer_name=PRODUCER_NAME, producer_version=PRODUCER_VERSION,
            opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
        onnx.checker.check_model(model, full_check=True)
        return model


def convert_file(src, out_dir):
    stem = os.path.splitext(os.path.basename(src))[0]
    if stem not in MODELS:
        raise ValueError(f"{src}: unknown model (expected one of {', '.join(KNOWN_MODELS)})")
    spec = MODELS[stem]
    buf = open(src, "rb").read()
    sha = hashlib.sha256(buf).hexdigest()
    doc = f"Converted from MediaPipe {stem}.tflite (sha256 {sha}), Apache-2.0. " + spec["doc"]
    model = Converter(buf).convert(stem, doc, spec)
    out = os.path.join(out_dir, stem + ".onnx")
    data = model.SerializeToString(deterministic=True)
    with open(out, "wb") as f:
        f.write(data)
    print(f"{src} -> {out} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", required=True, help="where to write the .onnx files")
    ap.add_argument("src", nargs="+", help=".tflite files or folders holding them")
    args = ap.parse_args(argv)

    files = []
    for s in args.src:
        if os.path.isdir(s):
            found = [os.path.join(s, m + ".tflite") for m in KNOWN_MODELS
                     if os.path.isfile(os.path.join(s, m + ".tflite"))]
            if not found:
                ap.error(f"{s}: none of {', '.join(m + '.tflite' for m in KNOWN_MODELS)}")
            files += found
        else:
            files.append(s)
    os.makedirs(args.out_dir, exist_ok=True)
    for f in sorted(set(files)):  # sorted: stable order of the log lines
        convert_file(f, args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
