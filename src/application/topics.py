"""Grouping complaints into topics, by what they are about.

:class:`Grouping` (the one used): complaints as vectors of meaning (``application.meaning``), centred on the
mean of those grouped. Exact average linkage within a batch — a complaint and a topic belong together while
the complaint's average cosine with the topic's members is at least ``LINK`` — and topics that grow: a later
batch's complaints first join the existing topic with the highest average cosine (≥ ``LINK``), and only the
rest are grouped among themselves into new topics. Nothing is recomputed for complaints already placed.

:func:`group` (the earlier lexical grouping, kept as the benchmark's baseline): TF-IDF vectors of the words.
Two complaints are linked when their cosine similarity reaches ``LINK``; a topic is a set of linked
complaints, grown from its densest member outward (a complaint joins a topic only if it is also close
enough to the topic's centroid, which keeps one ambiguous text from chaining two topics together).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from application import meaning
from application.text import STOPWORDS, idf_table

if TYPE_CHECKING:  # scipy loads when topics are first grouped, not with every CLI command
    from scipy import sparse

MEANING_LINK = 0.35  # average cosine (centred meaning vectors) from which a complaint belongs to a topic
APART_LINK = 0.5  # the same, for vectors with only the common direction removed (too few to centre on)
MIN_CENTRED = 100  # complaints from which their own mean is a steady centre
BATCH = 2_000  # complaints grouped exactly (average linkage, every pair) at a time
LINK = 0.35  # lexical: cosine between two complaints from which they may share a topic
CENTROID = 0.3  # cosine a member keeps with its topic's centroid
NEIGHBOURS = 50  # links kept per complaint: enough to reach a whole topic, bounded memory
CHUNK = 2_000  # rows per similarity block
SAMPLE = 3_000  # documents grouped exactly (every pair compared) per round


def _matrix(docs: Sequence[Sequence[str]]) -> sparse.csr_matrix:
    """Unit-length TF-IDF rows: (1 + log tf) × (log((1 + n) / (1 + df)) + 1), built with numpy, not per word."""
    from scipy import sparse  # noqa: PLC0415 — loaded on first use (see TYPE_CHECKING above)

    n = len(docs)
    flat = list(chain.from_iterable(docs))
    vocab = {w: i for i, w in enumerate(dict.fromkeys(flat))}  # in order of first use: deterministic
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    rows = np.repeat(np.arange(n, dtype=np.int64), [len(words) for words in docs])
    width = max(1, len(vocab))
    # each (document, word) pair once, with its count
    pairs, tf = np.unique(rows * width + ids, return_counts=True)
    r, c = pairs // width, pairs % width
    # no cut-off for frequent words: when one matter dominates a category its own words are the frequent
    # ones; IDF weighs them down enough
    df = np.bincount(c, minlength=width)
    vals = (1.0 + np.log(tf)) * (np.log((1 + n) / (1 + df[c])) + 1.0)
    m = sparse.csr_matrix((vals.astype(np.float32), (r, c)), shape=(n, width), dtype=np.float32)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)


def _neighbours(x: sparse.csr_matrix, link: float) -> sparse.csr_matrix:
    """Each document's ``NEIGHBOURS`` most similar others at cosine ≥ ``link`` (computed in row chunks, so
    memory stays linear in the number of documents)."""
    from scipy import sparse  # noqa: PLC0415 — loaded on first use (see TYPE_CHECKING above)

    n = x.shape[0]
    xt = x.T.tocsc()
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for lo in range(0, n, CHUNK):
        block = (x[lo : lo + CHUNK] @ xt).tocsr()
        for r in range(block.shape[0]):
            s, e = block.indptr[r], block.indptr[r + 1]
            idx, val = block.indices[s:e], block.data[s:e]
            keep = (val >= link) & (idx != lo + r)
            idx, val = idx[keep], val[keep]
            if len(idx) > NEIGHBOURS:
                best = np.argpartition(-val, NEIGHBOURS)[:NEIGHBOURS]
                idx, val = idx[best], val[best]
            rows.append(np.full(len(idx), lo + r, dtype=np.int64))
            cols.append(idx.astype(np.int64))
            vals.append(val)
    if not rows:
        return sparse.csr_matrix((n, n), dtype=np.float32)
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n), dtype=np.float32
    )


def _exact(x: sparse.csr_matrix, link: float, centroid: float) -> np.ndarray:
    """A topic number per row of ``x``, grouping every pair (cost grows with the square of the rows)."""
    n = x.shape[0]
    sim = _neighbours(x, link)
    degree = np.diff(sim.indptr)
    order = np.argsort(-degree, kind="stable")
    topic = np.full(n, -1, dtype=np.int64)
    next_topic = 0
    for seed in order:
        if topic[seed] >= 0:
            continue
        topic[seed] = next_topic
        centre = x[seed].toarray().ravel().astype(np.float64)
        frontier = np.array([seed], dtype=np.int64)
        while frontier.size:
            # every unassigned neighbour of the frontier, checked at once against the topic's centroid
            nbs = np.unique(np.concatenate([sim.indices[sim.indptr[f] : sim.indptr[f + 1]] for f in frontier]))
            nbs = nbs[topic[nbs] < 0]
            if not nbs.size:
                break
            norm = float(np.linalg.norm(centre)) or 1.0
            close = nbs[(x[nbs] @ centre) / norm >= centroid]
            topic[close] = next_topic
            if close.size:
                centre = centre + np.asarray(x[close].sum(axis=0)).ravel()
            frontier = close
        next_topic += 1
    return topic


def _centroids(x: sparse.csr_matrix, topic: np.ndarray, count: int) -> sparse.csr_matrix:
    """One unit-length row per topic: the normalised sum of its members' rows."""
    from scipy import sparse  # noqa: PLC0415 — loaded on first use (see TYPE_CHECKING above)

    members = sparse.csr_matrix(
        (np.ones(len(topic), dtype=np.float32), (topic, np.arange(len(topic)))), shape=(count, len(topic))
    )
    sums = sparse.csr_matrix(members @ x)
    norms = np.sqrt(np.asarray(sums.multiply(sums).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ sums)


def group(
    docs: Sequence[Sequence[str]], *, link: float = LINK, centroid: float = CENTROID, sample: int = SAMPLE
) -> list[int]:
    """A topic number per document (0, 1, … in order of first appearance); an empty document is its own topic.

    Up to ``sample`` documents are grouped exactly (every pair compared). Beyond that, in rounds: an evenly
    spread sample of the documents not yet placed is grouped exactly, every other one joins the sample topic
    whose centroid it is closest to (cosine ≥ ``link``), and those close to none go to the next round. The
    cost is linear in the number of documents times the topics found, not quadratic.
    """
    n = len(docs)
    if n == 0:
        return []
    x = _matrix(docs)
    topic = np.full(n, -1, dtype=np.int64)
    remaining = np.arange(n, dtype=np.int64)
    next_topic = 0
    while remaining.size:
        if remaining.size <= sample:
            topic[remaining] = _exact(x[remaining], link, centroid) + next_topic
            break
        picked = np.zeros(remaining.size, dtype=bool)
        picked[np.linspace(0, remaining.size - 1, sample).astype(np.int64)] = True
        chosen, rest = remaining[picked], remaining[~picked]
        local = _exact(x[chosen], link, centroid)
        count = int(local.max()) + 1
        topic[chosen] = local + next_topic
        centres = _centroids(x[chosen], local, count).T.tocsc()
        unplaced = []
        for lo in range(0, rest.size, CHUNK):
            ids = rest[lo : lo + CHUNK]
            sims = (x[ids] @ centres).toarray()
            best = sims.argmax(axis=1)
            close = sims[np.arange(ids.size), best] >= link
            topic[ids[close]] = best[close] + next_topic
            unplaced.append(ids[~close])
        next_topic += count
        remaining = np.concatenate(unplaced)
    # renumber by first appearance, so the answer does not depend on the traversal
    renumber: dict[int, int] = {}
    return [renumber.setdefault(int(t), len(renumber)) for t in topic]


def label(docs: Sequence[Sequence[str]], top: int = 3) -> list[str]:
    """The matter's ``top`` key terms: words frequent in its complaints, weighted by jieba's IDF table (words of
    procedure — 材料, 审核, 一直 — say how it goes, not what it is, and are left out)."""
    idf, median = idf_table()
    counts: Counter[str] = Counter()
    for words in docs:
        counts.update(set(words))
    scored = sorted(
        (
            (c * idf.get(w, median), w)
            for w, c in counts.items()
            if w not in STOPWORDS and w not in meaning.PROCEDURE and len(w) > 1
        ),
        key=lambda t: (-t[0], t[1]),
    )
    return [w for _, w in scored[:top]]


# ------------------------------------------------------------------------------ grouping by meaning


def _average_linkage(x: np.ndarray, link: float) -> np.ndarray:
    """Topic numbers 0… for the unit rows of ``x``: average linkage cut where the average cosine falls below
    ``link``."""
    if len(x) == 1:
        return np.zeros(1, dtype=np.int64)
    from scipy.cluster import hierarchy  # noqa: PLC0415 — loaded on first use (see TYPE_CHECKING above)

    tree = hierarchy.linkage(x.astype(np.float64), method="average", metric="cosine")
    flat = hierarchy.fcluster(tree, t=1.0 - link, criterion="distance")
    _, numbers = np.unique(flat, return_inverse=True)
    return numbers.astype(np.int64)


class Grouping:
    """Topics of complaints that grow as complaints arrive: :meth:`add` places new ones without touching the
    old. A topic is kept as the sum of its members' vectors and their count, so the average cosine of a new
    complaint with a topic's members is one dot product with the topic's mean."""

    def __init__(self, dim: int, *, link: float = MEANING_LINK, batch: int = BATCH) -> None:
        self.link = link
        self.batch = batch
        self.sums = np.zeros((0, dim), dtype=np.float64)
        self.counts = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.counts)

    def add(self, x: np.ndarray) -> np.ndarray:
        """The topic number of each row of ``x`` (unit vectors, centred as the earlier ones were; a zero row —
        a text without meaningful words — is a topic of its own)."""
        out = np.full(len(x), -1, dtype=np.int64)
        for lo in range(0, len(x), self.batch):
            out[lo : lo + self.batch] = self._add(x[lo : lo + self.batch])
        return out

    def _add(self, x: np.ndarray) -> np.ndarray:
        out = np.full(len(x), -1, dtype=np.int64)
        words = x.any(axis=1)
        means = np.zeros((0, x.shape[1]), dtype=np.float32)
        if len(self.counts):
            means = (self.sums / np.maximum(self.counts, 1)[:, None]).astype(np.float32)
            sims = x @ means.T
            best = sims.argmax(axis=1)
            close = words & (sims[np.arange(len(x)), best] >= self.link)
            out[close] = best[close]
        rest = np.flatnonzero(words & (out < 0))
        next_topic = len(self.counts)
        if rest.size:
            local = _average_linkage(x[rest], self.link)
            count = int(local.max()) + 1
            sums = np.zeros((count, x.shape[1]), dtype=np.float64)
            np.add.at(sums, local, x[rest].astype(np.float64))
            target = np.arange(next_topic, next_topic + count)
            if len(self.counts):
                # a new group whose average cosine with an existing topic's members reaches the link joins it
                # (average linkage between groups: a group of complaints each just short of a topic may not be)
                group_sims = (sums / np.bincount(local, minlength=count)[:, None]) @ means.T
                nearest = group_sims.argmax(axis=1)
                close = group_sims[np.arange(count), nearest] >= self.link
                fresh = np.cumsum(~close) - 1
                target = np.where(close, nearest, next_topic + fresh)
                count = int(np.count_nonzero(~close))
            out[rest] = target[local]
            next_topic += count
        lonely = np.flatnonzero(~words)
        out[lonely] = np.arange(next_topic, next_topic + lonely.size)
        next_topic += lonely.size
        if next_topic > len(self.counts):
            extra = next_topic - len(self.counts)
            self.sums = np.vstack([self.sums, np.zeros((extra, self.sums.shape[1]))])
            self.counts = np.concatenate([self.counts, np.zeros(extra, dtype=np.int64)])
        np.add.at(self.sums, out, x.astype(np.float64))
        np.add.at(self.counts, out, 1)
        return out


def prepare(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Meaning vectors made ready to group, and the link to group them at: centred on their own mean when there
    are enough of them, else with the common direction removed."""
    if len(x) >= MIN_CENTRED:
        return meaning.centred(x), MEANING_LINK
    return meaning.apart(x), APART_LINK


def group_meaning(x: np.ndarray) -> list[int]:
    """A topic number per meaning vector (0, 1, … in order of first appearance)."""
    if not len(x):
        return []
    ready, link = prepare(x)
    numbers = Grouping(ready.shape[1], link=link).add(ready)
    renumber: dict[int, int] = {}
    return [renumber.setdefault(int(t), len(renumber)) for t in numbers]
