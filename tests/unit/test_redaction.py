"""Personal information stripped from case text, and the report of what was replaced."""

from __future__ import annotations

from application.redaction import Redactor


def test_known_names_then_patterns_are_replaced_and_reported() -> None:
    redact = Redactor(names=["张三丰", "张三"], enterprises=["宏达建筑有限公司"])
    text = (
        "张三丰（身份证11010519491231002X，电话13812345678，座机0571-88886666，邮箱zsf@example.com）"
        "住幸福路12号3栋2单元501室，反映宏达建筑有限公司与华美装饰有限公司拖欠工资；张三丰之子张三陪同。"
    )
    out = redact(text)
    assert out == (
        "【当事人】（身份证【证件号】，电话【电话】，座机【电话】，邮箱【邮箱】）"
        "住【地址】，反映【企业】与【企业】拖欠工资；【当事人】之子【当事人】陪同。"
    )
    report = {(r.kind, r.shown): r.count for r in redact.replacements()}
    assert report[("party", "张**")] == 2
    assert report[("party", "张*")] == 1
    assert report[("phone", "138****5678")] == 1
    assert report[("id_number", "11****************")] == 1
    assert ("email", "z***@example.com") in report
    assert ("enterprise", "宏达******") in report
    assert sum(1 for kind, _ in report if kind == "address") == 1
    # nothing of the originals survives in the report
    assert not any(v in str(report) for v in ("13812345678", "11010519491231002X", "zsf@", "张三丰"))


def test_text_without_personal_information_is_unchanged() -> None:
    redact = Redactor(names=["李四"])
    text = "窗口受理后当日转办住建部门，依据《城市供热管理条例》第二十条，三个工作日内修复。"
    assert redact(text) == text
    assert redact.replacements() == []
    assert Redactor(names=["", " 王"])("王先生来电") == "王先生来电"  # one-character names are not guessed at


def test_slip_numbers_are_taken_out_of_case_text() -> None:
    from application.redaction import Redactor, without_slips  # noqa: PLC0415

    assert without_slips("2025-09-26 受理（YS-district-20250926-00012）") == "2025-09-26 受理"
    assert without_slips("见YS2025092600012号") == "见【受理单号】号"
    assert without_slips("罚款2000元，电话13812345678") == "罚款2000元，电话13812345678"
    redact = Redactor()
    assert redact("参照YS-jiefang-20250101-00003办理") == "参照【受理单号】办理"
    assert [r.kind for r in redact.replacements()] == ["slip"]
