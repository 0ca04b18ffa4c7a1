"""The OCR models as run (indexer/ocr/models.py) compute what the wheel's models compute,
on a real scanned page, with the scale/shift and hard-swish steps gone (docs/ocr.md, "Speed")."""
from __future__ import annotations

import inspect
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from rapidocr_onnxruntime import RapidOCR

from indexer.ocr import engine, models
from indexer.ocr.copier import scan_pages

ROOT = Path(__file__).resolve().parent.parent
HONGZE = ROOT / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf"
MODELS = Path(inspect.getfile(RapidOCR)).parent / "models"
REC = str(MODELS / "ch_PP-OCRv4_rec_infer.onnx")
DET = str(MODELS / "ch_PP-OCRv4_det_infer.onnx")


def wheel_session(path: str) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def run(session: ort.InferenceSession, tensor: np.ndarray) -> np.ndarray:
    return session.run(None, {session.get_inputs()[0].name: tensor})[0]


def as_tensor(image: np.ndarray) -> np.ndarray:
    return ((image.astype(np.float32).transpose(2, 0, 1) / 255 - 0.5) / 0.5)[np.newaxis]


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return np.asarray(scan_pages(HONGZE, dpi=200, angle=0.0)[0].convert("RGB"))


def test_folded_models_lose_their_elementwise_steps():
    for path in (REC, DET):
        before = Counter(n.op_type for n in onnx.load(path).graph.node)
        after = Counter(n.op_type for n in onnx.load_from_string(models.folded(path)).graph.node)
        assert after["Conv"] == before["Conv"]
        assert before["Clip"] > 0 and after["HardSwish"] > 0
        assert after["Clip"] == before["Clip"] - after["HardSwish"]  # every hard-swish's Clip replaced
        assert after["Mul"] + after["Add"] < (before["Mul"] + before["Add"]) / 2


def test_the_detector_finds_the_same_text_on_a_scanned_page(page):
    small = np.ascontiguousarray(page[:960, :736])  # the detector takes sides that are multiples of 32
    wheel, folded = run(wheel_session(DET), as_tensor(small)), run(models.session(DET), as_tensor(small))
    assert wheel.shape == folded.shape and (wheel > 0.3).sum() > 1000  # the page's text is there
    assert np.abs(wheel - folded).max() < 1e-4
    assert ((wheel > 0.3) == (folded > 0.3)).mean() > 0.9999


def test_the_recogniser_reads_the_same_characters_on_a_scanned_page(page):
    lines = [q for q in engine.detect(page)][:12]
    crops = engine.engine().get_crop_img_list(page, [q.copy() for q in lines])
    wheel, folded = wheel_session(REC), models.session(REC)
    read = 0
    for crop in crops:
        tensor = as_tensor(engine._to_height(crop))
        a, b = run(wheel, tensor)[0], run(folded, tensor)[0]
        assert np.abs(a - b).max() < 1e-3
        assert (a.argmax(axis=1) == b.argmax(axis=1)).all()
        read += int((a.argmax(axis=1) != 0).sum())
    assert read > 100  # real characters were read, not blank columns


def test_the_engine_runs_both_models_folded_on_one_thread():
    """RapidOCR overwrites per-model thread counts with its global ones: a second, spinning
    ONNX Runtime thread doubled the CPU time of every page (docs/benchmarks.md)."""
    ocr = engine.engine()
    for session in (ocr.text_det.infer.session, ocr.text_rec.session.session):
        assert session.get_session_options().intra_op_num_threads == 1
        assert session.get_session_options().inter_op_num_threads == 1
    # the folded model's own output, to the bit, not the wheel's (which differs in the last bits)
    tensor = np.random.default_rng(1).uniform(-1, 1, (1, 3, 48, 320)).astype(np.float32)
    running = run(ocr.text_rec.session.session, tensor)
    assert np.array_equal(running, run(models.session(REC), tensor))
    assert not np.array_equal(running, run(wheel_session(REC), tensor))
    assert "character" in ocr.text_rec.session.session.get_modelmeta().custom_metadata_map
