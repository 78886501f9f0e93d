"""The message templates: varied, well-formed, and rude only where the rude agent speaks."""

from __future__ import annotations

import pytest

from liuke.simulate.engine import COMPLAINT_MIX, INTENT_MIX
from liuke.simulate.text import (
    LINE_KIND,
    RUDE_PHRASES,
    TEXTS,
    LangText,
    contains_rude_phrase,
    intent_text,
)

SLOT_NAMES = "product old order tracking courier days amount price comp agent group city name"
SLOTS = dict.fromkeys(SLOT_NAMES.split(), "x")


def _agent_templates(lt: LangText) -> list[str]:
    out = [*lt.greeting, *lt.agent_closing, *lt.transfer_agent, *lt.takeover, *lt.pending_final]
    out += [*lt.apology]
    for it in lt.intents.values():
        for v in (it, *it.variants.values()):
            out += [*v.agent_first, *v.agent_more, *v.bot_answer, *v.bot_miss]
    return [*out, *lt.bot_miss, *lt.bot_handoff, *lt.bot_bye]


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_only_rude_replies_are_rude(lang: str) -> None:
    lt = TEXTS[lang]
    for template in _agent_templates(lt):
        assert not contains_rude_phrase(template.format_map(SLOTS)), template
    for template in lt.rude_replies:
        assert contains_rude_phrase(template.format_map(SLOTS)), template


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_every_intent_has_varied_well_formed_text(lang: str) -> None:
    lt = TEXTS[lang]
    keys = {i for i, _ in INTENT_MIX} - {"complaint"}
    keys |= {f"complaint:{sub}" for sub, _ in COMPLAINT_MIX}
    assert keys <= set(lt.intents)
    for key, it in lt.intents.items():
        assert it.opening and it.followup and it.agent_first and it.agent_more, key
        for code in (None, *LINE_KIND):
            m = intent_text(lang, key, code)
            templates = (*m.opening, *m.followup, *m.agent_first, *m.agent_more, *m.bot_answer)
            for template in templates:
                template.format_map(SLOTS)  # no unknown slot
    if lang == "zh":
        assert all(len(it.opening) >= 3 for it in lt.intents.values())


def test_line_specific_text_stays_with_its_line() -> None:
    assert "开不了机" not in "".join(intent_text("zh", "product_problem", "beauty").opening)
    assert any("开不了机" in t for t in intent_text("zh", "product_problem", "digital").opening)
    assert intent_text("zh", "pre_sales", None) is TEXTS["zh"].intents["pre_sales"]


def test_rude_phrases_are_lower_case() -> None:
    assert all(p == p.lower() for p in RUDE_PHRASES)
