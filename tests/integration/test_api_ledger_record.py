"""The ledger records what a 台账 records (issue 12 point 7), free text masked; the state masks it by role."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from domain.values import Role
from tests.support import auth, client_for, receive_body

CLERK = auth(Role.window_clerk)
OFFICER = auth(Role.duty_officer, name="李值班")
LEADER = auth(Role.duty_leader, name="张带班")
HOUSING = auth(Role.department, department="housing")
CONTENT = "张三丰来电，手机13812345678，身份证11010519491231002X，反映营业执照被拖延"
PHONE, ID_NUMBER = "13812345678", "11010519491231002X"


def test_ledger_row_has_content_reason_signers_result_basis_rating(tmp_path: Path) -> None:
    with client_for(f"sqlite:///{tmp_path / 'l.db'}") as client:
        body = receive_body(content=CONTENT, complainant={"type": "person", "name": "张三丰", "phone": PHONE})
        cid = client.post("/v1/complaints", json=body, headers=CLERK).json()["id"]
        steps = [
            ("classify", {"classification": "cannot_do", "reason": "无法定依据，回电13812345678"}, CLERK),
            ("sign", {"opinion": "同意"}, OFFICER),
            ("sign", {"opinion": "同意"}, LEADER),
            ("dispatch", {"departments": ["housing"], "supervisor": "s1"}, LEADER),
            ("resolve", {"result": "已向13812345678说明", "legal_basis": "《条例》第5条"}, HOUSING),
            ("feedback", {"method": "phone"}, CLERK),
            ("callback", {"rating": 4}, CLERK),
        ]
        for verb, b, h in steps:
            r = client.post(f"/v1/complaints/{cid}/{verb}", json=b, headers=h)
            assert r.status_code == 200, (verb, r.text)
        after = r.json()["notification_id"]
        page = client.get(f"/v1/ledger?after={after}", headers=auth(Role.analyst)).json()
        assert (page["total"], page["more"]) == (1, False)  # one complaint: counted exactly
        [row] = page["items"]
        assert row["content_masked"] == "张**来电，手机138****5678，身份证******************，反映营业执照被拖延"
        assert row["classification_reason"] == "无法定依据，回电138****5678"
        assert (row["officer_signer"], row["leader_signer"]) == ("李值班", "张带班")
        assert (row["result"], row["legal_basis"]) == ("已向138****5678说明", "《条例》第5条")
        assert row["rating"] == 4
        assert row["centre"] == "district"
        export = client.get(f"/v1/ledger?format=xlsx&after={after}", headers=auth(Role.analyst))
        with zipfile.ZipFile(io.BytesIO(export.content)) as z:
            xml = b"".join(z.read(n) for n in z.namelist()).decode()
        for heading in ("诉求内容", "分类理由", "值班人员签字", "带班领导签字", "办理结果", "法律依据", "满意度评价"):
            assert heading in xml
        assert PHONE not in xml
        assert ID_NUMBER not in xml

        # the complaint itself: in clear for the clerk, masked for the analyst and the administrator
        assert client.get(f"/v1/complaints/{cid}", headers=CLERK).json()["content"] == CONTENT
        for role in (Role.analyst, Role.supervisor):
            state = client.get(f"/v1/complaints/{cid}", headers=auth(role)).json()
            assert PHONE not in str(state)
            assert ID_NUMBER not in str(state)
        history = client.get(f"/v1/complaints/{cid}/history", headers=auth(Role.admin)).text
        assert PHONE not in history
        assert ID_NUMBER not in history
