"""The running text of a synthetic report, composed from the phrase bank
indexer/data/narrative.toml with the agency's own topic words and the figures
the narrative restates (申请21件, 采购项目2个，共计6.8万元)."""
from __future__ import annotations

import random
import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

CHINESE_ORDINALS = "一二三四五六七八九十"
_PARTS = ("active", "application", "management", "platform", "oversight")


@lru_cache(maxsize=1)
def load_bank() -> dict:
    """The phrase bank (parsed once)."""
    text = resources.files("indexer").joinpath("data", "narrative.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass
class Voice:
    """Everything a phrase template may name."""
    agency: str
    self_name: str
    place: str
    year: int
    kind: str
    platform: str

    def fill(self, rng: random.Random, template: str) -> str:
        names = _placeholders(template)
        values = {"agency": self.agency, "self": self.self_name, "place": self.place, "year": self.year,
                  "next": self.year + 1, "platform": self.platform}
        if "topic" in names or "topic2" in names or "topic3" in names:
            values["topic"], values["topic2"], values["topic3"] = rng.sample(load_bank()["topics"][self.kind], 3)
        for name, low, high in (("n1", 1, 6), ("n2", 2, 30), ("big", 20, 900)):
            if name in names:
                values[name] = rng.randint(low, high)
        return template.format_map(values)


@lru_cache(maxsize=None)
def _placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def preamble(rng: random.Random, voice: Voice) -> str:
    return voice.fill(rng, rng.choice(load_bank()["preamble"]))


def overview(rng: random.Random, voice: Voice, stated: dict) -> list[str]:
    """一、总体情况: an opening paragraph, then the five parts of the national template."""
    bank = load_bank()
    paragraphs = [voice.fill(rng, rng.choice(bank["intro"]))]
    numbered = rng.random() < 0.5
    for i, part in enumerate(_PARTS):
        choices = bank["parts"][part]
        if part == "application" and stated["applications"] == 0:
            choices = [s for s in choices if "所有申请" not in s]
        sentences = [voice.fill(rng, s) for s in rng.sample(choices, rng.randint(2, 3))]
        work = bank.get("work", {}).get(voice.kind)
        if part == "active" and work:
            sentences.insert(rng.randint(0, len(sentences)), voice.fill(rng, rng.choice(work)))
        if part == "active" and "procurement_count" in stated:
            sentences.insert(rng.randint(0, len(sentences)), _procurement_sentence(rng, voice, stated))
        if part == "application":
            sentences.insert(rng.choice((0, 1)), _applications_sentence(rng, voice, stated["applications"]))
        label = bank["parts"][part + "_label"]
        head = f"（{CHINESE_ORDINALS[i]}）{label}。" if numbered else f"{i + 1}.{label}。"
        paragraphs.append(head + "".join(sentences))
    return paragraphs


def _applications_sentence(rng: random.Random, voice: Voice, count: int) -> str:
    if count == 0:
        return rng.choice((f"{voice.year}年，{voice.self_name}未收到政府信息公开申请。", "全年未收到政府信息公开申请。"))
    return rng.choice((
        f"{voice.year}年，{voice.self_name}共受理政府信息公开申请{count}件。",
        f"全年共收到政府信息公开申请{count}件。",
        f"本年度新收政府信息公开申请{count}件，已全部按规定办理。",
    ))


def _procurement_sentence(rng: random.Random, voice: Voice, stated: dict) -> str:
    amount = stated["procurement_amount_wan"]
    amount_text = f"{amount:.4f}".rstrip("0").rstrip(".") if isinstance(amount, float) else str(amount)
    where = rng.choice((f"{voice.place}政府采购网", "政府采购网", voice.platform))
    return f"通过{where}公开采购项目{stated['procurement_count']}个，共计{amount_text}万元。"


def problems_and_improvements(rng: random.Random, voice: Voice) -> list[str]:
    """五、存在的主要问题及改进情况."""
    bank = load_bank()["closing"]
    problems = [voice.fill(rng, p) for p in rng.sample(bank["problems"], rng.randint(2, 3))]
    improvements = [voice.fill(rng, p) for p in rng.sample(bank["improvements"], rng.randint(2, 4))]
    first = voice.fill(rng, rng.choice(bank["problems_intro"])) + _enumerate(problems)
    second = voice.fill(rng, rng.choice(bank["improvements_intro"])) + _enumerate(improvements)
    if rng.random() < 0.5:
        return ["（一）存在的主要问题。" + first, "（二）改进情况。" + second]
    return [first, second]


def _enumerate(clauses: list[str]) -> str:
    return "".join(f"{CHINESE_ORDINALS[i]}是{clause}。" for i, clause in enumerate(clauses))


def other_matters(rng: random.Random, voice: Voice) -> list[str]:
    """六、其他需要报告的事项: the fee statement, sometimes one more matter."""
    bank = load_bank()["closing"]
    paragraphs = [voice.fill(rng, rng.choice(bank["fees"]))]
    if rng.random() < 0.5:
        paragraphs.append(voice.fill(rng, rng.choice(bank["other"])))
    return paragraphs
