"""Screening companies and persons: blocked by name tokens and identifiers, scored by logic-v2.

For parties, nomenklatura's logic-v2 is the right matcher (cross-script person names, company
legal forms, tax and registration numbers, birth-date and country qualifiers) and its
explanations are already a weighted list of named features. It compares one pair at a time, so
candidates are blocked first: listed parties sharing an identifier or a name token that is not
too common (``max_token_df``), so that "LLC" alone does not make every company a candidate.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from followthemoney import EntityProxy, model, registry
from nomenklatura.matching import LogicV2

from darkfleet.sanctions.normalize import name_tokens
from darkfleet.sanctions.vessel_index import ListedEntity

ALGORITHM = LogicV2.NAME


@dataclass(frozen=True, slots=True)
class PartyMatch:
    item: ListedEntity
    score: float
    features: tuple[tuple[str, float, str | None], ...]  # (feature, score, detail)


@dataclass(frozen=True, slots=True)
class PartyIndex:
    items: tuple[ListedEntity, ...]
    by_token: dict[str, frozenset[int]]
    by_identifier: dict[str, frozenset[int]]


def build_party_index(listed: Sequence[ListedEntity], max_token_df: int = 200) -> PartyIndex:
    """Index the listed legal entities (not vessels) by name token and identifier."""
    items = tuple(
        i for i in listed
        if i.entity.schema.is_a("LegalEntity") and i.entity.schema.matchable
    )  # fmt: skip
    tokens: dict[str, set[int]] = {}
    idents: dict[str, set[int]] = {}
    for n, item in enumerate(items):
        for name in item.entity.get_type_values(registry.name):
            for tok in set(name_tokens(name)):
                tokens.setdefault(tok, set()).add(n)
        for value in item.entity.get_type_values(registry.identifier):
            idents.setdefault(value.upper().replace(" ", ""), set()).add(n)
    df = Counter({t: len(s) for t, s in tokens.items()})
    return PartyIndex(
        items,
        {t: frozenset(s) for t, s in tokens.items() if df[t] <= max_token_df and len(t) > 1},
        {k: frozenset(s) for k, s in idents.items()},
    )


def party_query(name: str, schema: str = "LegalEntity", **props: Sequence[str]) -> EntityProxy:
    """An FtM query entity: a name and any properties (``taxNumber=["3025037914"]``)."""
    entity = model.make_entity(schema)
    entity.add("name", name)
    for prop, values in props.items():
        entity.add(prop, list(values))
    # nomenklatura memoises per entity, and entities hash by id: the id must follow the content.
    content = json.dumps(entity.to_dict()["properties"], sort_keys=True)
    entity.id = "query-" + hashlib.sha1(f"{schema}|{content}".encode()).hexdigest()[:16]
    return entity


def screen_party(query: EntityProxy, index: PartyIndex, threshold: float = 0.7) -> list[PartyMatch]:
    """Listed parties scoring at least ``threshold`` with logic-v2, best first."""
    candidates: set[int] = set()
    for name in query.get_type_values(registry.name):
        for tok in name_tokens(name):
            candidates |= index.by_token.get(tok, frozenset())
    for value in query.get_type_values(registry.identifier):
        candidates |= index.by_identifier.get(value.upper().replace(" ", ""), frozenset())
    config = LogicV2.default_config()
    out = []
    for n in sorted(candidates):
        item = index.items[n]
        result = LogicV2.compare(query, item.entity, config)
        if result.score >= threshold:
            feats = tuple(
                (k, round(v.score, 4), v.detail) for k, v in result.explanations.items()
                if v.score != 0
            )  # fmt: skip
            out.append(PartyMatch(item, round(result.score, 4), feats))
    return sorted(out, key=lambda m: (-m.score, str(m.item.entity.id)))
