"""The OCR models as run: the wheel's PP-OCRv4 ONNX files with their arithmetic folded (docs/ocr.md, "Speed").

The exported graphs compute every block as a convolution followed by eight whole-tensor
steps: a scalar scale and shift (Mul, Add), hard-swish spelled as Add, Clip, Mul, Div,
and another scalar scale and shift. ONNX Runtime fuses none of them and spends more time
on these passes over memory than on the convolutions. The same function is computed with
fewer passes:

- a scale and shift right after a convolution goes into its weights and bias;
- Add 3, Clip 0..6, Mul, Div 6 becomes one HardSwish;
- a scale and shift right before a convolution goes into its weights, and into its bias
  where the convolution has no padding (with padding the shift would change the borders:
  it stays, as one Add).

Only the order of floating-point operations changes (outputs differ by ~1e-6). The folded
model is built in memory from the wheel's file when the engine starts (~0.4 s of CPU);
nothing is written or fetched.
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper, version_converter

# HardSwish exists from opset 14; the models are exported at opset 12 and converted first
# (onnx's version converter: Squeeze's axes become an input, and so on).
OPSET = 14


class _Graph:
    """A model's nodes with its constants (Constant nodes and initializers) as arrays."""

    def __init__(self, model: onnx.ModelProto):
        graph = model.graph
        self.values: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.nodes = []
        for node in graph.node:
            if node.op_type == "Constant" and [a.name for a in node.attribute] == ["value"]:
                self.values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
            else:
                self.nodes.append(node)
        self.outputs = {o.name for o in graph.output}

    def consumers(self) -> dict[str, list]:
        used: dict[str, list] = {}
        for node in self.nodes:
            for name in node.input:
                used.setdefault(name, []).append(node)
        return used

    def scalar(self, node, *, op: str) -> tuple[str, float] | None:
        """(the tensor input, the constant) of a node ``op`` with one scalar constant input."""
        if node.op_type != op or len(node.input) != 2:
            return None
        a, b = node.input
        for tensor, constant in ((a, b), (b, a)):
            value = self.values.get(constant)
            if value is not None and value.size == 1 and tensor not in self.values:
                return tensor, float(value.reshape(()))
        return None

    def sole_consumer(self, name: str, used: dict[str, list]):
        nodes = used.get(name, [])
        return nodes[0] if len(nodes) == 1 and name not in self.outputs else None

    def conv_parameters(self, conv) -> tuple[np.ndarray, np.ndarray] | None:
        weight = self.values.get(conv.input[1])
        if weight is None:
            return None
        bias = self.values.get(conv.input[2]) if len(conv.input) > 2 else np.zeros(weight.shape[0], weight.dtype)
        return (weight, bias) if bias is not None else None

    def set_conv(self, conv, weight: np.ndarray, bias: np.ndarray) -> None:
        names = f"{conv.output[0]}.folded_w", f"{conv.output[0]}.folded_b"
        self.values[names[0]], self.values[names[1]] = weight.astype(np.float32), bias.astype(np.float32)
        del conv.input[1:]
        conv.input.extend(names)


def _scale_shift_after(graph: _Graph, node, used) -> tuple[float, float, str, list] | None:
    """A Mul by a scalar then an Add of a scalar, the sole consumers of ``node``'s output."""
    mul = graph.sole_consumer(node.output[0], used)
    scale = mul is not None and graph.scalar(mul, op="Mul")
    if not scale or scale[0] != node.output[0]:
        return None
    add = graph.sole_consumer(mul.output[0], used)
    shift = add is not None and graph.scalar(add, op="Add")
    if not shift or shift[0] != mul.output[0]:
        return None
    return scale[1], shift[1], add.output[0], [mul, add]


def _fold_into_conv_output(graph: _Graph) -> None:
    for conv in [n for n in graph.nodes if n.op_type == "Conv"]:
        parameters = graph.conv_parameters(conv)
        found = parameters and _scale_shift_after(graph, conv, graph.consumers())
        if not found:
            continue
        (weight, bias), (scale, shift, output, gone) = parameters, found
        graph.set_conv(conv, weight * scale, bias * scale + shift)
        graph.nodes = [n for n in graph.nodes if n not in gone]
        conv.output[0] = output


def _hard_swish(graph: _Graph) -> None:
    """x * clip(x + 3, 0, 6) / 6 -> HardSwish(x)."""
    used = graph.consumers()
    for add in list(graph.nodes):
        plus = graph.scalar(add, op="Add")
        if not plus or plus[1] != 3.0:
            continue
        x = plus[0]
        clip = graph.sole_consumer(add.output[0], used)
        if clip is None or clip.op_type != "Clip" or len(clip.input) != 3:
            continue
        low, high = (graph.values.get(name) for name in clip.input[1:])
        if low is None or high is None or float(low) != 0.0 or float(high) != 6.0:
            continue
        mul = graph.sole_consumer(clip.output[0], used)
        if mul is None or mul.op_type != "Mul" or sorted(mul.input) != sorted([x, clip.output[0]]):
            continue
        div = graph.sole_consumer(mul.output[0], used)
        by = div is not None and graph.scalar(div, op="Div")
        if not by or by[1] != 6.0:
            continue
        swish = helper.make_node("HardSwish", [x], [div.output[0]], name=f"{div.output[0]}.hardswish")
        at = graph.nodes.index(add)
        graph.nodes = [n for n in graph.nodes if n not in (add, clip, mul, div)]
        graph.nodes.insert(at, swish)
        used = graph.consumers()


def _fold_into_conv_input(graph: _Graph) -> None:
    """A scale and shift of a node's output whose only consumer is a convolution."""
    for node in list(graph.nodes):
        used = graph.consumers()
        found = node in graph.nodes and _scale_shift_after(graph, node, used)
        conv = found and graph.sole_consumer(found[2], used)
        if not conv or conv.op_type != "Conv" or conv.input[0] != found[2]:
            continue
        scale, shift, output, (mul, add) = found
        attributes = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
        parameters = graph.conv_parameters(conv)
        if parameters is None or scale == 0:
            continue
        weight, bias = parameters
        if any(attributes.get("pads", [0])) or attributes.get("auto_pad", b"NOTSET") != b"NOTSET":
            # conv(s·x + t) = (s·W)(x + t/s) where the padding is zero on both sides: the shift stays
            graph.set_conv(conv, weight * scale, bias)
            graph.values[f"{output}.shift"] = np.array([shift / scale], dtype=np.float32)
            add.input[:] = [node.output[0], f"{output}.shift"]
            graph.nodes.remove(mul)
        else:
            # conv(s·x + t) = (s·W)·x + (b + t·ΣW), the sum over each output channel's inputs
            graph.set_conv(conv, weight * scale, bias + shift * weight.sum(axis=(1, 2, 3)))
            conv.input[0] = node.output[0]
            graph.nodes = [n for n in graph.nodes if n not in (mul, add)]


def folded(path: str) -> bytes:
    """The model at ``path`` with its scale/shift and hard-swish steps folded, serialised."""
    model = version_converter.convert_version(onnx.load(path), OPSET)
    graph = _Graph(model)
    _fold_into_conv_output(graph)
    _hard_swish(graph)
    _fold_into_conv_input(graph)
    used = {name for node in graph.nodes for name in node.input}
    del model.graph.node[:]
    model.graph.node.extend(graph.nodes)
    del model.graph.initializer[:]
    model.graph.initializer.extend(numpy_helper.from_array(value, name) for name, value in graph.values.items()
                                   if name in used)
    return model.SerializeToString()


def session(path: str) -> ort.InferenceSession:
    """The folded model at ``path`` on one CPU thread. CPU time counts every thread: no pool, no spinning."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_cpu_mem_arena = False  # as RapidOCR sets it: no difference measured (docs/ocr.md)
    options.log_severity_level = 4
    return ort.InferenceSession(folded(path), options, providers=["CPUExecutionProvider"])
