"""Grouping texts into topics: TF-IDF vectors of their words, linked by cosine similarity.

Two complaints are linked when their cosine similarity reaches ``LINK``; a topic is a set of linked
complaints, grown from its densest member outward (a complaint joins a topic only if it is also close
enough to the topic's centroid, which keeps one ambiguous text from chaining two topics together).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import jieba.analyse
import numpy as np
from scipy import sparse

from application.text import STOPWORDS

LINK = 0.35  # cosine between two complaints from which they may share a topic
CENTROID = 0.3  # cosine a member keeps with its topic's centroid
NEIGHBOURS = 50  # links kept per complaint: enough to reach a whole topic, bounded memory
CHUNK = 2_000  # rows per similarity block


def _matrix(docs: Sequence[Sequence[str]]) -> sparse.csr_matrix:
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    df: Counter[str] = Counter()
    for words in docs:
        df.update(set(words))
    n = len(docs)
    # no cut-off for frequent words: when one matter dominates a category its own words are the frequent
    # ones; IDF weighs them down enough
    for i, words in enumerate(docs):
        for w, tf in Counter(words).items():
            j = vocab.setdefault(w, len(vocab))
            rows.append(i)
            cols.append(j)
            vals.append((1.0 + math.log(tf)) * (math.log((1 + n) / (1 + df[w])) + 1.0))
    m = sparse.csr_matrix((vals, (rows, cols)), shape=(n, max(1, len(vocab))), dtype=np.float32)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)


def _neighbours(x: sparse.csr_matrix, link: float) -> sparse.csr_matrix:
    """Each document's ``NEIGHBOURS`` most similar others at cosine ≥ ``link`` (computed in row chunks, so
    memory stays linear in the number of documents)."""
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


def group(docs: Sequence[Sequence[str]], *, link: float = LINK, centroid: float = CENTROID) -> list[int]:
    """A topic number per document (0, 1, … in order of first appearance); an empty document is its own topic."""
    n = len(docs)
    if n == 0:
        return []
    x = _matrix(docs)
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
    # renumber by first appearance, so the answer does not depend on the traversal
    renumber: dict[int, int] = {}
    return [renumber.setdefault(int(t), len(renumber)) for t in topic]


def label(docs: Sequence[Sequence[str]], top: int = 3) -> list[str]:
    """The topic's ``top`` keywords: words frequent in its complaints, weighted by jieba's IDF table."""
    idf = jieba.analyse.default_tfidf.idf_freq
    median = jieba.analyse.default_tfidf.median_idf
    counts: Counter[str] = Counter()
    for words in docs:
        counts.update(set(words))
    scored = sorted(
        ((c * idf.get(w, median), w) for w, c in counts.items() if w not in STOPWORDS and len(w) > 1),
        key=lambda t: (-t[0], t[1]),
    )
    return [w for _, w in scored[:top]]
