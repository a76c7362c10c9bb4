"""Chinese text for similarity: jieba segmentation, MinHash signatures, person keys.

No model is downloaded: jieba's dictionary and IDF table ship inside the package.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import jieba
import numpy as np

if TYPE_CHECKING:  # datasketch (with the scipy it imports) loads on the first signature, not with every CLI command
    from datasketch import MinHash

jieba.setLogLevel(logging.WARNING)  # its start-up chatter ("Building prefix dict…") is not our log

NUM_PERM = 64  # MinHash permutations: 64 keeps a signature at 256 bytes and Jaccard error ≈ 0.06
MAX_TEXT = 4_000  # characters considered; a longer text adds nothing to what it is about
SCHEME = "affine32"  # explicit: stored signatures must not change meaning with a library upgrade
_SEED = 7  # fixed: signatures stored in a view must stay comparable across processes and restarts

# Words that say nothing about the matter: function words and complaint boilerplate.
STOPWORDS = frozenset(
    " ".join(
        (
            "的 了 在 是 我 有 和 就 不 人 都 一 一个 上 也 很 到 说 要 去 你 会 着 没有 看 好 自己 这 那 他 她 它 们",
            "我们 你们 他们 什么 怎么 为什么 还 又 把 被 让 给 对 从 向 与 及 或 等 但 而 并 且 如果 因为 所以 已经",
            "一直 现在 今天 昨天 多次 希望 请 请求 要求 反映 投诉 诉求 问题 情况 相关 部门 处理 解决 尽快 能否 能",
            "可以 没 啊 吧 呢 吗 嘛 哦 这个 那个 这里 那里 这样 那样 之后 以后 以来 时候 目前 本人 本 该 其 此 之",
            "所 以 于 为 由 将 些 次 个 位 月 日 号 年 天 后 前 里 中 下 再 才 只 却 得 地 过 来 多 少 更 最 非常",
            "特别 比较 大家 一下 还是 一些 而且 并且 你好 谢谢 有关 我要 一下 麻烦",
            "怎么办 如何 哪些 需要 办 恳请 说法 管一管 那边 好长时间 持续",
        )
    ).split()
)
_WORD = re.compile(r"[\w\u4e00-\u9fff]")

_lock = threading.Lock()
_ready = False


def _init() -> None:
    global _ready  # noqa: PLW0603 — jieba loads its dictionary once per process
    with _lock:
        if not _ready:
            jieba.initialize()
            _ready = True


def ensure_ready() -> None:
    """Load jieba's dictionary now (≈ 1 s) rather than on the first text."""
    _init()


@lru_cache(maxsize=1)
def idf_table() -> tuple[dict[str, float], float]:
    """jieba's IDF table (the file its TF-IDF keyword extractor reads) and its median, as ``jieba.analyse``
    computes them. Read here directly: importing ``jieba.analyse`` also loads its part-of-speech tagger, about
    0.6 s of CPU in every process that starts, for nothing this service uses."""
    path = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    idf: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, freq = line.strip().split(" ")
        idf[word] = float(freq)
    return idf, sorted(idf.values())[len(idf) // 2]


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, at most ``MAX_TEXT`` characters."""
    return unicodedata.normalize("NFKC", text)[:MAX_TEXT].lower()


@lru_cache(maxsize=4096)
def _tokens(text: str, *, fine: bool = False) -> tuple[str, ...]:
    _init()
    out = []
    cut = jieba.lcut_for_search if fine else jieba.lcut
    for word in cut(normalise(text)):
        w = word.strip()
        if not w or w in STOPWORDS or not _WORD.search(w) or w.isdigit():
            continue
        if len(w) == 1 and not ("\u4e00" <= w <= "\u9fff"):
            continue
        out.append(w)
    return tuple(out)


def tokens(text: str) -> list[str]:
    """The meaningful words of ``text`` (stopwords, punctuation, emoji and bare numbers dropped)."""
    return list(_tokens(text))


def search_tokens(text: str) -> list[str]:
    """Like :func:`tokens`, plus the shorter words inside long ones (拖欠工资 → 拖欠, 工资, 拖欠工资), for search."""
    return list(_tokens(text, fine=True))


@lru_cache(maxsize=1)
def _template() -> MinHash:
    from datasketch import MinHash  # noqa: PLC0415 — loaded on first use (see the import above)

    return MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=SCHEME)


def signature(text: str) -> np.ndarray:
    """The MinHash signature (``NUM_PERM`` unsigned 32-bit values) of ``text``'s shingles."""
    from datasketch import MinHash  # noqa: PLC0415 — loaded on first use (see the import above)

    m = MinHash(num_perm=NUM_PERM, seed=_SEED, permutations=_template().permutations, scheme=SCHEME)
    words = set(tokens(text))  # the set of words: a reworded complaint keeps most of them, not their order
    if words:
        m.update_batch([w.encode() for w in sorted(words)])
    return np.asarray(m.hashvalues, dtype=np.uint32)


def from_bytes(raw: bytes | memoryview | str) -> np.ndarray:
    """A stored signature back as an array (SQLite may hand back text for old rows: never here)."""
    data = bytes(raw) if not isinstance(raw, str) else bytes.fromhex(raw)
    return np.frombuffer(data, dtype="<u4")


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


def bands(sig: np.ndarray, rows: int = 4) -> list[int]:
    """LSH band keys as signed 64-bit integers (a compact index key): two texts share a band with probability
    ≈ J^rows per band. The band's number is hashed with its values, so equal values in two bands differ."""
    out = []
    for i in range(0, len(sig) - rows + 1, rows):  # whole bands only: a 1-value band collides far too often
        digest = hashlib.blake2b(bytes([i // rows]) + sig[i : i + rows].astype("<u4").tobytes(), digest_size=8)
        out.append(int.from_bytes(digest.digest(), "little", signed=True))
    return out


# ------------------------------------------------------------------------------ the person key


def normalise_phone(phone: str) -> str:
    """Digits only, without a leading +86 / 86 / 0086."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone) if ch.isdigit())
    for prefix in ("0086", "86"):
        if len(digits) > 11 and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def normalise_id(id_number: str) -> str:
    """Upper case, no spaces (the check character may be typed x or X)."""
    return "".join(unicodedata.normalize("NFKC", id_number).split()).upper()


def derive_person_key(secret: str) -> bytes:
    """The HMAC key for person keys, derived from a configured secret (e.g. the cipher key list's first key)."""
    first = secret.split(",", maxsplit=1)[0].strip()
    return hashlib.sha256(b"yousu/person-key/v1\x00" + first.encode()).digest()


def normalise_name(name: str) -> str:
    """An enterprise name compared as typed apart from width, case, spaces and brackets' width."""
    return "".join(unicodedata.normalize("NFKC", name).split()).lower()


def person_keys(key: bytes, phone: str | None, id_number: str | None, enterprise_name: str | None = None) -> list[str]:
    """Keyed digests of the normalised phone, ID number and enterprise name: equal for the same complainant,
    useless without the key."""
    out = []
    if phone and len(p := normalise_phone(phone)) >= 7:
        out.append("p:" + hmac.new(key, p.encode(), hashlib.sha256).hexdigest()[:32])
    if id_number and (i := normalise_id(id_number)):
        out.append("i:" + hmac.new(key, i.encode(), hashlib.sha256).hexdigest()[:32])
    if enterprise_name and (n := normalise_name(enterprise_name)):
        out.append("e:" + hmac.new(key, n.encode(), hashlib.sha256).hexdigest()[:32])
    return out
