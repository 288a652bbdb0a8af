"""Convert the fitted scikit-learn pipeline to ONNX under the socflow model contract.

Contract (relied on by the TypeScript scorer):
  inputs  : one per raw attribute, named like the NSL-KDD columns, shape [N,1];
            tensor(string) for protocol_type/service/flag, tensor(float) otherwise.
  outputs : label          int64  [N]   1 = attack, 0 = normal (uses the calibrated threshold)
            probabilities  float32 [N,2] column 1 = P(attack)
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType

from nslkdd import CATEGORICAL, FEATURES

TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
# Pinned so the exported bytes do not depend on the installed onnx's defaults.
IR_VERSION = 8


def convert(pipeline, threshold: float, doc: str) -> onnx.ModelProto:
    initial_types = [
        (c, StringTensorType([None, 1]) if c in CATEGORICAL else FloatTensorType([None, 1]))
        for c in FEATURES
    ]
    model = convert_sklearn(
        pipeline,
        initial_types=initial_types,
        target_opset=TARGET_OPSET,
        options={id(pipeline): {"zipmap": False}},
        naming="nslkdd_",
    )
    graph = model.graph
    out_names = [o.name for o in graph.output]
    if len(out_names) != 2:
        raise RuntimeError(f"unexpected converter outputs {out_names}")
    raw_label, raw_proba = out_names  # converter order: label, probabilities

    # Internal names for the converter outputs, then our own public outputs.
    def rename(old: str, new: str) -> None:
        for node in graph.node:
            node.output[:] = [new if o == old else o for o in node.output]
            node.input[:] = [new if i == old else i for i in node.input]

    rename(raw_label, "argmax_label")
    rename(raw_proba, "probabilities")
    del graph.output[:]

    # label = int64(probabilities[:, 1] >= threshold)
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array(1, dtype=np.int64), "attack_column"),
            numpy_helper.from_array(np.array(threshold, dtype=np.float32), "attack_threshold"),
        ]
    )
    graph.node.extend(
        [
            helper.make_node("Gather", ["probabilities", "attack_column"], ["attack_probability"],
                             axis=1, name="post_gather_attack"),
            helper.make_node("GreaterOrEqual", ["attack_probability", "attack_threshold"],
                             ["is_attack"], name="post_threshold"),
            helper.make_node("Cast", ["is_attack"], ["label"], to=TensorProto.INT64,
                             name="post_cast_label"),
        ]
    )
    graph.output.extend(
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2]),
        ]
    )
    # The argmax label of the converter is no longer an output; drop the nodes
    # that only produced it so the graph has no dangling outputs.
    _prune(graph)

    model.ir_version = IR_VERSION
    model.producer_name = "socflow-model-factory"
    model.producer_version = "1.0"
    model.doc_string = doc
    model.graph.name = "nslkdd_binary"
    onnx.checker.check_model(model, full_check=True)
    return model


def _prune(graph: onnx.GraphProto) -> None:
    """Remove nodes whose outputs are not needed for the graph outputs."""
    needed = {o.name for o in graph.output}
    keep = []
    for node in reversed(list(graph.node)):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    keep.reverse()
    del graph.node[:]
    graph.node.extend(keep)
    used_inits = [i for i in graph.initializer if i.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(used_inits)
