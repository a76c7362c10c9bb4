"""A labelled corpus for topic grouping: a dozen known issues, each worded many ways, plus one-off noise.

Every complaint is built from an issue's slots (where, what, the trouble, how long, what is wanted),
each slot with synonyms, in varied orders and with varied filler, the way people actually phrase
things at a window. ``label`` is the issue (``None`` for noise). Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One known matter: its category and the synonyms of each part of a complaint about it."""

    key: str
    category: str
    where: tuple[str, ...]
    what: tuple[str, ...]
    trouble: tuple[str, ...]


ISSUES: tuple[Issue, ...] = (
    Issue(
        "garbage",
        "urban_management",
        ("阳光花园小区", "阳光花园", "阳光花园北门"),
        ("垃圾站", "垃圾中转站", "垃圾房"),
        ("臭味熏天", "异味很大", "苍蝇成群", "污水横流", "垃圾堆满没人清运"),
    ),
    Issue(
        "noise_site",
        "urban_management",
        ("滨江路工地", "滨江路在建工地", "滨江路施工工地"),
        ("夜间施工", "半夜施工", "晚上打桩"),
        ("噪音扰民", "吵得睡不着", "噪声太大", "机器轰鸣"),
    ),
    Issue(
        "street_vendors",
        "urban_management",
        ("人民路菜市场门口", "人民路菜场", "人民路市场外"),
        ("流动摊贩", "占道经营", "小商贩摆摊"),
        ("堵塞交通", "占用人行道", "乱扔垃圾", "行人无法通行"),
    ),
    Issue(
        "license_delay",
        "market_regulation",
        ("区市场监管局", "政务大厅市场监管窗口", "市场监管窗口"),
        ("营业执照变更", "执照变更登记", "营业执照地址变更"),
        ("拖延不办", "迟迟不给办理", "一直让补材料", "超过时限没有结果"),
    ),
    Issue(
        "food_safety",
        "market_regulation",
        ("幸福里小吃街", "幸福里美食街", "幸福里夜市"),
        ("餐馆后厨", "小吃摊", "餐饮店"),
        ("卫生条件差", "使用过期食材", "吃完拉肚子", "后厨脏乱"),
    ),
    Issue(
        "prepaid_card",
        "market_regulation",
        ("健身房", "美力健身房", "美力健身会所"),
        ("预付卡", "会员卡", "储值卡"),
        ("老板跑路不退钱", "关门无法退费", "余额不退", "卷款跑路"),
    ),
    Issue(
        "wage_arrears",
        "human_resources",
        ("宏达建筑公司", "宏达建筑工程公司", "宏达建筑"),
        ("农民工工资", "工资", "劳务费"),
        ("拖欠半年", "一直拖欠不发", "欠薪不给", "年底了还不结算"),
    ),
    Issue(
        "social_insurance",
        "human_resources",
        ("社保中心", "区社保中心", "社保经办窗口"),
        ("社保转移", "养老保险转移接续", "社保关系转入"),
        ("办理太慢", "材料反复退回", "跑了好几趟办不成", "系统显示不了"),
    ),
    Issue(
        "heating",
        "housing",
        ("翠湖苑小区", "翠湖苑", "翠湖苑三期"),
        ("暖气", "供暖", "暖气片"),
        ("不热", "温度只有十几度", "屋里冰冷", "供暖不达标"),
    ),
    Issue(
        "elevator",
        "housing",
        ("金桂园小区", "金桂园", "金桂园5号楼"),
        ("电梯", "楼里电梯", "电梯设备"),
        ("经常故障", "关人", "停运没人修", "维保不到位"),
    ),
    Issue(
        "school_bus",
        "education",
        ("实验小学", "第一实验小学", "实验小学门口"),
        ("接送车辆", "校车", "家长接送车"),
        ("乱停乱放", "上下学拥堵", "堵住校门", "存在安全隐患"),
    ),
    Issue(
        "water_outage",
        "utilities",
        ("东城新村", "东城新村小区", "东城新村二区"),
        ("自来水", "供水", "用水"),
        ("频繁停水", "水压太低", "停水不通知", "水发黄"),
    ),
)

HOW_LONG = ("已经一个月了", "持续好几周", "反映多次", "一直没解决", "好长时间了", "")
WANT = ("请尽快处理", "希望有关部门管一管", "要求给个说法", "请相关部门解决", "恳请处理", "")
OPENERS = ("我要反映", "投诉", "反映一下", "我是附近居民，", "", "你好，")
CONNECT = ("，", "。", "，而且", "，并且", "，")

NOISE = (
    "想咨询一下公积金提取需要什么材料",
    "路灯坏了晚上很黑",
    "楼上邻居漏水到我家天花板",
    "公交站牌信息不对",
    "小区绿化带被人种菜",
    "出租车绕路多收费",
    "快递柜收费不合理",
    "公园厕所没有纸",
    "网上预约挂号总是约不上",
    "宠物狗不拴绳吓到孩子",
    "银行网点排队时间长",
    "共享单车乱停放在盲道上",
    "图书馆开放时间太短",
    "手机信号差打不通电话",
    "菜价标签与结算价格不一致",
    "老人办理高龄补贴不知道去哪里",
    "户口迁移需要的证明太多",
    "孩子疫苗预约不到",
    "小区门禁卡办理收费",
    "停车场收费标准不清楚",
)
NOISE_TAILS = ("", "，请回复", "，谢谢", "。麻烦看看", "，怎么办")


@dataclass(frozen=True)
class Sample:
    """One generated complaint and its known matter (an issue's key, or ``noise-…`` for a one-off)."""

    content: str
    category: str
    label: str


def _issue_text(issue: Issue, rnd: random.Random) -> str:
    # a quarter of people do not say where: the matter must be recognised from what and the trouble
    where = rnd.choice(issue.where) if rnd.random() > 0.25 else rnd.choice(("我们这里", "附近", "我家楼下"))
    what = rnd.choice(issue.what)
    troubles = rnd.sample(issue.trouble, rnd.randint(1, 2))
    parts = [f"{where}{rnd.choice(('的', '', '那边的'))}{what}{troubles[0]}"]
    if len(troubles) > 1:
        parts.append(troubles[1])
    for extra in (rnd.choice(HOW_LONG), rnd.choice(WANT)):
        if extra:
            parts.append(extra)
    opener = rnd.choice(OPENERS)
    body = parts[0] + "".join(rnd.choice(CONNECT) + p for p in parts[1:])
    return opener + body + rnd.choice(("。", "！", ""))


def generate(n: int = 600, *, noise: float = 0.15, seed: int = 20251128) -> list[Sample]:
    """``n`` complaints: ``noise`` of them one-offs, the rest spread over ``ISSUES`` (unevenly)."""
    rnd = random.Random(seed)
    weights = [rnd.uniform(0.5, 2.0) for _ in ISSUES]
    out = []
    for _ in range(n):
        if rnd.random() < noise:
            category = rnd.choice(sorted({i.category for i in ISSUES}))
            base = rnd.randrange(len(NOISE))  # the same one-off asked twice is still one matter
            out.append(Sample(NOISE[base] + rnd.choice(NOISE_TAILS), category, f"noise-{base}-{category}"))
            continue
        issue = rnd.choices(ISSUES, weights)[0]
        out.append(Sample(_issue_text(issue, rnd), issue.category, issue.key))
    return out


def pairwise_scores(labels: list[str], clusters: list[int]) -> tuple[float, float]:
    """Pairwise precision and recall of ``clusters`` against ``labels``.

    A pair is predicted together when both share a cluster, truly together when both share a label.
    """
    truth = labels
    pred_sizes = Counter(clusters)
    true_sizes = Counter(truth)
    cell_sizes = Counter(zip(clusters, truth, strict=True))
    together_pred = sum(s * (s - 1) // 2 for s in pred_sizes.values())
    together_true = sum(s * (s - 1) // 2 for s in true_sizes.values())
    both = sum(s * (s - 1) // 2 for s in cell_sizes.values())
    precision = both / together_pred if together_pred else 1.0
    recall = both / together_true if together_true else 1.0
    return precision, recall
