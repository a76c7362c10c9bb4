"""The Chinese name of each input field, for refusals staff read: ``errors[].label`` and a 422's ``detail`` say
诉求人电话 where ``errors[].field`` (an identifier, for programs) says ``complainant.phone``."""

from __future__ import annotations

FIELD_NAMES: dict[str, str] = {
    # 受理
    "channel": "受理渠道",
    "content": "诉求内容",
    "category": "诉求类别",
    "complainant": "诉求人",
    "complainant.type": "诉求人类型",
    "complainant.name": "诉求人姓名",
    "complainant.phone": "诉求人电话",
    "complainant.id_number": "诉求人身份证号",
    "complainant.enterprise_name": "企业名称",
    "received_at": "受理时间",
    "external_ref": "热线工单号",
    "message_id": "消息编号",
    # 分类、签字、转办
    "classification": "问题分类",
    "reason": "理由",
    "opinion": "意见",
    "as": "签字身份",
    "departments": "承办部门",
    "department": "部门",
    "supervisor": "督办专人",
    "days": "天数",
    "working_days": "工作日数",
    "master_id": "主诉求",
    # 办理、会商、反馈、回访
    "participants": "参会部门",
    "opinions": "各方意见",
    "conclusion": "会商结论",
    "handler_id": "承办人",
    "handler_name": "承办人姓名",
    "result": "办理结果",
    "legal_basis": "法律依据",
    "method": "反馈方式",
    "summary": "内容",
    "rating": "满意度评价",
    "comment": "回访意见",
    "outcome": "回访结果",
    "agent": "回访员",
    "assignee": "回访员",
    "upheld": "审核结论",
    "note": "备注",
    "text": "内容",
    "person": "回访对象",
    "person.name": "回访对象姓名",
    "person.phone": "回访对象电话",
    "service": "办理事项",
    # 指导案例、知识库、整改
    "title": "标题",
    "details": "问题详情",
    "handling": "处理办法",
    "steps": "办理步骤",
    "source": "案例来源",
    "sources": "来源",
    "complaint_ids": "来源诉求",
    "complaint_id": "诉求",
    "question": "问题",
    "answer": "答复",
    "tags": "标签",
    "policy_basis": "政策依据",
    "unit": "整改单位",
    "finding": "问题",
    "finding.kind": "问题类型",
    "finding.text": "问题描述",
    "instructions": "整改要求",
    "report": "整改报告",
    # 账号
    "username": "用户名",
    "password": "密码",
    "name": "姓名",
    "role": "角色",
    "roles": "角色",
    "centre": "服务中心",
    # 查询
    "from": "开始日期",
    "to": "结束日期",
    "received_from": "受理起始",
    "received_to": "受理截止",
    "issued_from": "下发起始",
    "issued_to": "下发截止",
    "status": "状态",
    "limit": "每页条数",
    "offset": "起始位置",
    "cursor": "翻页位置",
    "q": "检索词",
    "month": "月份",
    "group_by": "分组",
    "granularity": "粒度",
    "format": "格式",
    "after": "读取位置",
    "file": "文件",
    "body": "请求内容",
}


def field_label(field: str) -> str:
    """诉求人电话 for ``complainant.phone``; ``complaint_ids.0`` reads 来源诉求第 1 项; an unnamed field keeps its
    identifier."""
    parts = field.split(".")
    names = [p for p in parts if not p.isdigit()]
    items = [int(p) + 1 for p in parts if p.isdigit()]
    base = FIELD_NAMES.get(".".join(names)) or FIELD_NAMES.get(names[-1] if names else "", field)
    return base + "".join(f"第 {n} 项" for n in items)
