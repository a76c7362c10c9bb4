"""Meaning vectors (the packaged word vectors) and topics that grow without regrouping the old complaints."""

from __future__ import annotations

import numpy as np

from application import meaning, text, topics


def unit_rows(*rows: list[float]) -> np.ndarray:
    x = np.array(rows, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def test_vectors_are_unit_rows_and_a_text_without_words_is_zero() -> None:
    x = meaning.embed(["公积金提取审批太慢", "😡😡😡", ""])
    assert x.shape == (3, meaning.DIM)
    assert abs(float(np.linalg.norm(x[0])) - 1.0) < 1e-5
    assert not x[1].any()
    assert not x[2].any()


def test_a_paraphrase_is_nearer_than_another_matter() -> None:
    # sentences of no corpus: the same matter shares almost no words, another matter shares procedure words
    said = ["单位欠了我半年的薪水一直不给", "老板拖欠工资好几个月了", "单位一直不给办退休手续，拖了半年"]
    x = meaning.apart(meaning.embed(said))
    assert float(x[0] @ x[1]) > float(x[0] @ x[2])
    assert float(x[0] @ x[1]) >= topics.APART_LINK


def test_vectors_round_trip_through_the_view() -> None:
    v = meaning.embed(["门店地址搬了，申请执照住所变更"])[0]
    raw = meaning.to_bytes(v)
    assert len(raw) == meaning.DIM * 2
    assert np.allclose(meaning.from_bytes(raw), v, atol=1e-3)
    assert np.allclose(meaning.from_bytes(raw.hex()), v, atol=1e-3)
    both = meaning.stack([raw.hex(), ""])
    assert both.shape == (2, meaning.DIM)
    assert not both[1].any()


def test_topics_grow_without_regrouping_the_old() -> None:
    g = topics.Grouping(4, link=0.5)
    first = g.add(unit_rows([1, 0.1, 0, 0], [1, -0.1, 0, 0], [0, 1, 0.1, 0], [0, 1, -0.1, 0]))
    assert first.tolist() == [0, 0, 1, 1]
    # later: one joins the first topic, one starts a third, one without words is a topic of its own
    later = g.add(unit_rows([1, 0, 0.1, 0], [0, 0, 0, 1], [0, 0, 0, 0]))
    assert later.tolist() == [0, 2, 3]
    assert g.counts.tolist() == [3, 2, 1, 1]
    # a later batch of complaints each close to a topic joins it rather than splitting it
    again = g.add(unit_rows([0.1, 0, 0, 1], [-0.1, 0, 0, 1]))
    assert again.tolist() == [2, 2]


def test_grouping_in_batches_equals_grouping_at_once_for_separate_matters() -> None:
    rng = np.random.default_rng(3)
    centres = unit_rows(*np.eye(8).tolist())
    labels = rng.integers(0, 8, 300)
    x = unit_rows(*(centres[labels] + rng.normal(0, 0.1, (300, 8))).tolist())
    at_once = topics.Grouping(8, link=0.5).add(x)
    in_batches = topics.Grouping(8, link=0.5, batch=25).add(x)
    for numbers in (at_once, in_batches):
        # each matter is one topic, and no topic holds two matters
        assert len({(int(a), int(b)) for a, b in zip(labels, numbers, strict=True)}) == 8


def test_labels_are_key_terms_not_procedure_words() -> None:
    docs = [text.tokens(t) for t in ("公积金提取材料被退回", "公积金提取一直审核", "提取公积金审批材料太多")]
    label = topics.label(docs)
    assert "公积金" in label
    assert not set(label) & meaning.PROCEDURE


def test_enterprise_names_key_the_same_complainant() -> None:
    key = text.derive_person_key("k")
    a = text.person_keys(key, None, None, "宏达商贸有限公司")
    assert a == text.person_keys(key, None, None, "宏达商贸 有限公司")
    assert a != text.person_keys(key, None, None, "宏达建筑有限公司")
    assert all("宏达" not in k for k in a)


def test_the_idf_table_is_the_one_jiebas_keyword_extractor_uses() -> None:
    """Read from jieba's own file without importing jieba.analyse: the same words, weights and median."""
    import jieba.analyse  # noqa: PLC0415 — the library's own loader, as the reference

    idf, median = text.idf_table()
    assert idf == jieba.analyse.default_tfidf.idf_freq
    assert median == jieba.analyse.default_tfidf.median_idf
