#!/usr/bin/env python3
"""Convert the MediaPipe BlazeFace face detectors from TFLite to ONNX.

Why this exists: the app runs the detectors with `tract-onnx`, and tract cannot
run the original .tflite files (fp16 DEQUANTIZE, etc.). The models are small
plain CNNs, so a direct op-by-op translation is simpler and more auditable than
a general converter (tf2onnx would drag in all of TensorFlow).

Usage:
    convert.py --out-dir DIR SRC [SRC ...]

SRC is a .tflite file or a folder holding `face_detection_short_range.tflite`
and/or `face_detection_full_range.tflite` (see fetch.sh). Each
`<name>.tflite` becomes `DIR/<name>.onnx`. Nothing is downloaded here.

The produced graph (opset 13, IR 7):
  input  "input"          float32 [1, H, W, 3]  NHWC, RGB scaled to [-1, 1]
  output "regressors"     float32 [1, N, 16]
  output "classificators" float32 [1, N, 1]     (raw logits)
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

# The TFLite model's outputs are [regressors, classificators] in this order for
# both detectors (the full-range file calls them reshaped_*_face_4); we give them
# the same names in both ONNX files so Rust code needs no per-model names.
OUTPUT_NAMES = ("regressors", "classificators")
OUTPUT_LAST_DIMS = (16, 1)

KNOWN_MODELS = ("face_detection_short_range", "face_detection_full_range")

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

    def op_add(self, op, opts):
        c = tflite.AddOptions()
        c.Init(opts.Bytes, opts.Pos)
        a_idx, b_idx = op.Inputs(0), op.Inputs(1)
        if self.shape(a_idx) != self.shape(b_idx):
            # Only same-shape adds occur (residual connections); broadcasting an
            # NHWC operand against an NCHW one would need axis remapping.
            raise ValueError("broadcasting ADD is not supported")
        four_d = len(self.shape(a_idx)) == 4
        y = self.node("Add", [self.act_in(a_idx, four_d), self.act_in(b_idx, four_d)], "add")
        y = self.fused_act(y, c.FusedActivationFunction(), "act")
        self.set_out(op.Outputs(0), y, four_d)

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

    def convert(self, graph_name, doc):
        g = self.g
        if g.InputsLength() != 1 or g.OutputsLength() != 2:
            raise ValueError("expected 1 input and 2 outputs")
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
            handler = getattr(self, "op_" + opname.lower(), None)
            if handler is None:
                raise ValueError(f"unsupported TFLite op {opname} (operator #{i})")
            handler(op, op.BuiltinOptions())

        outputs = []
        for k in range(2):
            idx = g.Outputs(k)
            shape = self.shape(idx)
            if len(shape) != 3 or shape[2] != OUTPUT_LAST_DIMS[k]:
                raise ValueError(f"output {k} has unexpected shape {shape}")
            # An Identity gives the output a stable, model-independent name.
            self.node("Identity", [self.act_in(idx)], "out", outputs=[OUTPUT_NAMES[k]])
            outputs.append(helper.make_tensor_value_info(OUTPUT_NAMES[k], TensorProto.FLOAT, shape))

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
    buf = open(src, "rb").read()
    sha = hashlib.sha256(buf).hexdigest()
    doc = (f"Converted from MediaPipe {stem}.tflite (sha256 {sha}), Apache-2.0. "
           "Input NHWC RGB in [-1,1]; outputs are raw box/keypoint regressions and score logits "
           "per SSD anchor. See models/PROVENANCE.md.")
    model = Converter(buf).convert(stem, doc)
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
