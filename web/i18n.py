"""Interface strings in Chinese (the default) and English.

The language comes from ``?lang=`` (kept in every link the app builds, so it
works without cookies or JavaScript), else the ``lang`` cookie, else Chinese.
"""
from __future__ import annotations

import tomllib
from importlib.resources import files

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

# key -> (Chinese, English), kept as data beside this module
STRINGS = {key: tuple(pair) for key, pair in
           tomllib.loads(files(__package__).joinpath("strings.toml").read_text(encoding="utf-8")).items()}

# Short labels of the aliases shown on result cards, the report page and the stats view.
ALIAS_LABELS = {
    "applications": ("新收申请", "Applications"),
    "carried_over": ("上年结转", "Carried over"),
    "granted": ("予以公开", "Granted"),
    "partial": ("部分公开", "Partly granted"),
    "denied": ("不予公开", "Denied"),
    "unable": ("无法提供", "Unable to provide"),
    "rejected": ("不予处理", "Not processed"),
    "other_handling": ("其他处理", "Other handling"),
    "handled": ("办理总计", "Handled"),
    "carried_forward": ("结转下年", "Carried forward"),
    "review": ("行政复议", "Administrative review"),
    "litigation": ("行政诉讼", "Litigation"),
    "procurement_count": ("集中采购项目", "Procurement projects"),
    "procurement_amount": ("集中采购金额（万元）", "Procurement amount (10k yuan)"),
    "fees_amount": ("收费金额（万元）", "Fees (10k yuan)"),
    "grant_rate": ("公开率", "Grant rate"),
    "partial_rate": ("部分公开率", "Partial rate"),
    "denial_rate": ("不予公开率", "Denial rate"),
    "unable_rate": ("无法提供率", "Unable rate"),
    "rejected_rate": ("不予处理率", "Not-processed rate"),
    "correction_rate": ("复议纠错率", "Review correction rate"),
    "litigation_loss_rate": ("诉讼纠错率", "Litigation loss rate"),
    "carry_forward_share": ("结转占比", "Carry-forward share"),
}

# Outcome rows of table 三 as Collection.stats() names them (the totals are the aliases' own labels).
OUTCOME_LABELS = {
    "granted": ALIAS_LABELS["granted"],
    "partial": ALIAS_LABELS["partial"],
    "denied": ALIAS_LABELS["denied"],
    "denied.state_secret": ("不予公开：国家秘密", "Denied: state secret"),
    "denied.law_prohibited": ("不予公开：法律行政法规禁止", "Denied: prohibited by law"),
    "denied.safety_stability": ("不予公开：危及“三安全一稳定”", "Denied: security and stability"),
    "denied.third_party": ("不予公开：保护第三方合法权益", "Denied: third-party rights"),
    "denied.internal_affairs": ("不予公开：内部事务信息", "Denied: internal affairs"),
    "denied.process_info": ("不予公开：过程性信息", "Denied: process information"),
    "denied.enforcement_file": ("不予公开：行政执法案卷", "Denied: enforcement file"),
    "denied.query_matter": ("不予公开：行政查询事项", "Denied: query matter"),
    "unable": ALIAS_LABELS["unable"],
    "rejected": ALIAS_LABELS["rejected"],
    "other": ALIAS_LABELS["other_handling"],
}

LEVEL_LABELS = {
    "central": ("中央", "central"), "province": ("省级", "province"), "city": ("市级", "city"),
    "county": ("县级", "county"), "township": ("乡镇", "township"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    """The Chinese or English member of a (zh, en) pair."""
    return pair[1] if lang == "en" else pair[0]


def translate(key: str, lang: str, **values) -> str:
    """The interface string ``key`` in ``lang``, with ``{name}`` fields filled in."""
    text = pick(STRINGS[key], lang)
    return text.format(**values) if values else text


def label_of(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    """A label from one of the tables above, or the key itself when it has none."""
    pair = table.get(key)
    return pick(pair, lang) if pair else key


def alias_label(alias: str, lang: str) -> str:
    """The short label of an alias (procurement_count -> 集中采购项目), or the alias itself."""
    return label_of(ALIAS_LABELS, alias, lang)


def resolve_language(arg: str | None, cookie: str | None) -> str:
    """The language of this request: the URL first, then the cookie, then Chinese."""
    for candidate in (arg, cookie):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE
