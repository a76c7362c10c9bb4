"""指导案例 over HTTP on real stores: drafted from resolved complaints with personal information stripped."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from domain.values import Role
from tests.support import auth, client_for, receive_body

CLERK = auth(Role.window_clerk)
OFFICER = auth(Role.duty_officer)
LEADER = auth(Role.duty_leader)
ANALYST = auth(Role.analyst)
LIAISON = auth(Role.liaison)


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    with client_for(url) as c:
        yield c


def ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    return out


def resolved(client: TestClient) -> dict[str, Any]:
    body = receive_body(
        content="张三丰反映：宏达建筑有限公司拖欠工资，联系电话13712345678，邮箱zsf@example.com。",
        complainant={"type": "person", "name": "张三丰", "phone": "13800001111"},
    )
    made = ok(client.post("/v1/complaints", json=body, headers=CLERK), 201)
    ok(client.post(f"/v1/complaints/{made['id']}/classify", json={"classification": "general"}, headers=CLERK))
    result = {"result": "已联系张三丰，约谈企业后于幸福路12号当场结清工资。"}
    ok(client.post(f"/v1/complaints/{made['id']}/resolve", json=result, headers=CLERK))
    return made


def test_draft_strips_personal_information_and_publish(client: TestClient) -> None:
    source = resolved(client)
    case = ok(
        client.post(
            "/v1/cases",
            json={"complaint_ids": [source["id"]], "title": "欠薪<当场>结清", "conclusion": "张三丰表示满意"},
            headers=OFFICER,
        ),
        201,
    )
    everything = str(case)
    for secret in ("张三丰", "13712345678", "zsf@example.com", "宏达建筑有限公司", "幸福路12号"):
        assert secret not in everything
    assert case["details"] == "【当事人】反映：【企业】拖欠工资，联系电话【电话】，邮箱【邮箱】。"
    assert case["handling"] == "已联系【当事人】，约谈企业后于【地址】当场结清工资。"
    assert case["conclusion"] == "【当事人】表示满意"
    assert any(step.endswith(" 受理") for step in case["steps"])  # the handling steps, by day …
    assert source["slip_no"] not in everything  # … without the source's slip number
    kinds = {r["kind"]: r for r in case["replacements"]}
    assert set(kinds) == {"party", "enterprise", "phone", "email", "address"}
    assert kinds["party"]["shown"] == "张**"
    assert kinds["party"]["count"] == 3
    assert case["status"] == "draft"
    assert "sources" not in case  # the officer drafts it but is no liaison

    # a draft is not shown to readers; published, it is — sources to the liaison only
    assert client.get(f"/v1/cases/{case['id']}", headers=ANALYST).status_code == 404
    ok(client.post(f"/v1/cases/{case['id']}/publish", headers=LEADER))
    seen = ok(client.get(f"/v1/cases/{case['id']}", headers=ANALYST))
    assert "sources" not in seen
    assert source["slip_no"] not in str(seen)
    assert "replacements" not in seen
    liaison = ok(client.get(f"/v1/cases/{case['id']}", headers=LIAISON))
    assert liaison["sources"] == [{"complaint_id": source["id"], "slip_no": source["slip_no"]}]
    found = ok(client.get("/v1/cases", params={"q": "拖欠工资"}, headers=ANALYST))["items"]
    assert [f["id"] for f in found] == [case["id"]]
    assert ok(client.get("/v1/cases", params={"q": "暖气"}, headers=ANALYST))["items"] == []
    page = client.get(f"/v1/cases/{case['id']}/print", headers=ANALYST)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "欠薪&lt;当场&gt;结清" in page.text
    assert "<当场>" not in page.text
    assert "【当事人】" in page.text
    again = client.post(f"/v1/cases/{case['id']}/publish", headers=LEADER)
    assert again.status_code == 409
    assert again.json()["code"] == "case_already_published"


def embedded_fonts(reader: PdfReader) -> list[tuple[str, list[str]]]:
    """Each font the pages use: its name and which font-file streams its descriptor carries (embedded)."""
    found = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            found.append((str(font["/BaseFont"]), [k for k in descriptor if str(k).startswith("/FontFile")]))
    return found


def test_published_case_exports_as_pdf_with_the_chinese_font_embedded(client: TestClient) -> None:
    source = resolved(client)
    body = {"complaint_ids": [source["id"]], "title": "欠薪当场结清😀", "steps": ["约谈企业", "当场结清"]}
    case = ok(client.post("/v1/cases", json=body, headers=OFFICER), 201)
    # a draft is not exported: not found for a reader, refused for the drafter
    assert client.get(f"/v1/cases/{case['id']}/pdf", headers=ANALYST).status_code == 404
    draft = client.get(f"/v1/cases/{case['id']}/pdf", headers=OFFICER)
    assert draft.status_code == 409
    assert draft.json()["code"] == "case_not_published"
    ok(client.post(f"/v1/cases/{case['id']}/publish", headers=LEADER))

    r = client.get(f"/v1/cases/{case['id']}/pdf", headers=ANALYST)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="case-{case["id"]}.pdf"'
    reader = PdfReader(io.BytesIO(r.content))
    fonts = embedded_fonts(reader)
    assert fonts
    for name, files in fonts:
        assert name.endswith("+NotoSansCJKSC"), name  # a subset (tag + name) of Noto Sans CJK SC
        assert files == ["/FontFile2"], (name, files)  # embedded, not referenced by name
    extracted = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "指导案例：欠薪当场结清□",  # the emoji the font lacks shows as a box, not dropped silently
        "问题详情",
        "【当事人】反映：【企业】拖欠工资，联系电话【电话】，邮箱【邮箱】。",
        "已联系【当事人】，约谈企业后于【地址】当场结清工资。",
        "1. 约谈企业",
        "2. 当场结清",
        "结论意见",
        "法律依据",
    ):
        assert expected in extracted, (expected, extracted)
    for secret in ("张三丰", "13712345678", "13800001111", "zsf@example.com", "宏达建筑有限公司", "幸福路12号"):
        assert secret not in extracted


def test_bad_sources_and_input(client: TestClient) -> None:
    open_one = ok(client.post("/v1/complaints", json=receive_body(), headers=CLERK), 201)
    r = client.post("/v1/cases", json={"complaint_ids": [open_one["id"]], "title": "x"}, headers=OFFICER)
    assert r.status_code == 409
    assert r.json()["code"] == "case_source_not_resolved"
    unknown = "00000000-0000-0000-0000-000000000003"
    r = client.post("/v1/cases", json={"complaint_ids": [unknown], "title": "x"}, headers=OFFICER)
    assert r.status_code == 404
    for body, field in [
        ({"complaint_ids": [], "title": "x"}, "complaint_ids"),
        ({"complaint_ids": [open_one["id"]], "title": ""}, "title"),
        ({"complaint_ids": [open_one["id"]], "title": "😀" * 300}, "title"),
        ({"complaint_ids": ["not-a-uuid"], "title": "x"}, "complaint_ids.0"),
    ]:
        r = client.post("/v1/cases", json=body, headers=OFFICER)
        assert r.status_code == 422, r.text
        assert field in {e["field"] for e in r.json()["errors"]}
    assert client.get("/v1/cases", params={"q": "😀"}, headers=ANALYST).status_code == 422
    assert client.get(f"/v1/cases/{unknown}", headers=ANALYST).status_code == 404


def test_a_case_from_a_matter_outside_yousu_names_its_source(client: TestClient) -> None:
    """案例指导 draws on 有诉即办 and on other 诉求响应机制: with no complaint ids, the source is named and the text
    written in full; the draft is its author's (and the district's) until published."""
    jiefang = auth(Role.duty_officer, sub="officer-jiefang", centre="jiefang")
    xinhua = auth(Role.duty_officer, sub="officer-xinhua", centre="xinhua")
    text = {
        "title": "企业开办“一件事”跨部门协同",
        "details": "某企业通过政务服务好差评反映开办企业需往返多个窗口，联系电话13712345678。",
        "handling": "区行政服务中心召集市场监管、税务会商，改为一窗受理、并联审批。",
    }
    case = ok(client.post("/v1/cases", json={**text, "source": "政务服务好差评系统 差评回访"}, headers=jiefang), 201)
    assert case["source"] == "政务服务好差评系统 差评回访"
    assert case["details"] == "某企业通过政务服务好差评反映开办企业需往返多个窗口，联系电话【电话】。"
    assert case["status"] == "draft"
    assert ok(client.get(f"/v1/cases/{case['id']}", headers=jiefang))["source"] == "政务服务好差评系统 差评回访"
    assert client.get(f"/v1/cases/{case['id']}", headers=xinhua).status_code == 404  # another centre's officer
    ok(client.get(f"/v1/cases/{case['id']}", headers=OFFICER))  # the district's officer
    ok(client.post(f"/v1/cases/{case['id']}/publish", headers=LEADER))
    assert ok(client.get(f"/v1/cases/{case['id']}", headers=ANALYST))["source"] == "政务服务好差评系统 差评回访"

    # neither complaints nor a source; a source but not the text a case needs: refused, nothing recorded
    for body, field, detail in [
        ({"title": "x"}, "complaint_ids", "须列出至少一件已办结的诉求，或写明案例来源"),
        ({"title": "x", "source": "   ", "details": "d", "handling": "h"}, "complaint_ids", "写明案例来源"),
        ({"title": "x", "source": "12345热线工单"}, "details", "不经本系统的案例须填写问题详情和处理办法"),
        ({"title": "x", "source": "来" * 201, "details": "d", "handling": "h"}, "source", ""),
    ]:
        r = client.post("/v1/cases", json=body, headers=jiefang)
        assert r.status_code == 422, r.text
        errors = {e["field"]: e["detail"] for e in r.json()["errors"]}
        assert field in errors
        assert detail in errors[field]
