"""Ownership exposure: from a vessel, follow ownership and "Linked To" relations (pure kernel).

The graph's nodes are *identities*: entities from every loaded list and the analyst's facts that
share a strong key are one node — a vessel's IMO number, a company's IMO company number, or a
company's exact normalised name (persons are never merged on names). Its edges are FtM
``Ownership``, ``UnknownLink`` ("Linked To" on OFAC), ``Directorship`` and a vessel's
``operator``, each with its evidence (the list version, or the fact's source). From the start
node a breadth-first walk up to ``max_depth`` hops gives one path per reachable node: ANGARA →
M LEASING LLC → ADLER.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from followthemoney import EntityProxy

from darkfleet.sanctions.imo import imo_digits
from darkfleet.sanctions.listing import date_bounds
from darkfleet.sanctions.normalize import normalize_name
from darkfleet.sanctions.store import is_target
from darkfleet.sanctions.vessel_index import ListedEntity

# (schema, property of the "from" end, property of the "to" end, relation label)
EDGE_SCHEMATA: tuple[tuple[str, str, str, str], ...] = (
    ("Ownership", "asset", "owner", "owned by"),
    ("UnknownLink", "subject", "object", "linked to"),
    ("Directorship", "organization", "director", "directed by"),
)


@dataclass(frozen=True, slots=True)
class Edge:
    """One relation between two identities, with what it rests on."""

    source: str  # node id
    target: str
    relation: str  # "owned by", "linked to", "manager", ...
    evidence: str  # "us_ofac_sdn@2024-05-03" or the analyst fact's source
    start: str | None = None
    end: str | None = None
    entity_id: str = ""
    evidence_date: date | None = None  # the list version's date; None for analyst facts

    def published_after(self, on: date | None) -> bool:
        """True when the list saying this was published after ``on`` (shown, flagged)."""
        return on is not None and self.evidence_date is not None and self.evidence_date > on


@dataclass(slots=True)
class Node:
    """An identity: the entities merged into it and the lists where it is a target."""

    node_id: str
    caption: str
    schema: str
    entity_ids: set[str] = field(default_factory=set)
    target_lists: set[str] = field(default_factory=set)
    imos: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Step:
    """One hop of a path: the relation followed (``reverse``: walked against its direction)."""

    edge: Edge
    reverse: bool
    node: str


@dataclass(frozen=True, slots=True)
class ExposurePath:
    start: str
    steps: tuple[Step, ...]

    @property
    def end(self) -> str:
        return self.steps[-1].node if self.steps else self.start


@dataclass(slots=True)
class EntityGraph:
    nodes: dict[str, Node]
    node_of: dict[str, str]  # entity id -> node id
    edges: list[Edge]


def identity_keys(entity: EntityProxy) -> set[str]:
    """Keys on which entities from different lists are the same identity."""
    keys = {f"id:{entity.id}"}
    digits = {d for v in entity.get("imoNumber", quiet=True) if (d := imo_digits(v))}
    if entity.schema.is_a("Vessel"):
        keys.update(f"imo:{d}" for d in digits)
    elif entity.schema.is_a("LegalEntity") and not entity.schema.is_a("Person"):
        keys.update(f"imo-co:{d}" for d in digits)
        for name in entity.get("name"):
            norm = normalize_name(name, vessel=False)
            if len(norm.tokens) >= 2:
                keys.add(f"name:{norm.key}")
    return keys


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def build_graph(listed: Iterable[ListedEntity]) -> EntityGraph:
    """Merge entities into identities (union-find on :func:`identity_keys`) and collect edges."""
    items = list(listed)
    parent: dict[str, str] = {}
    things = [i for i in items if i.entity.schema.is_a("Thing")]
    for item in things:
        keys = sorted(identity_keys(item.entity))
        for k in keys:
            parent.setdefault(k, k)
        for k in keys[1:]:
            ra, rb = _find(parent, keys[0]), _find(parent, k)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    nodes: dict[str, Node] = {}
    node_of: dict[str, str] = {}
    for item in things:
        e = item.entity
        root = _find(parent, f"id:{e.id}")
        node = nodes.get(root) or Node(root, e.caption, e.schema.name)
        if is_target(e) and (node.schema != "Vessel" or e.schema.name == "Vessel"):
            node.caption, node.schema = e.caption, e.schema.name
        node.entity_ids.add(str(e.id))
        node.imos.update(d for v in e.get("imoNumber", quiet=True) if (d := imo_digits(v)))
        if is_target(e):
            node.target_lists.add(item.list_name)
        nodes[root] = node
        node_of[str(e.id)] = root
    edges: dict[tuple[str, str, str, str, date | None], Edge] = {}
    for item in items:
        for edge in _edges_of(item, node_of):
            key = (edge.source, edge.target, edge.relation, edge.evidence, edge.evidence_date)
            edges.setdefault(key, edge)
    return EntityGraph(nodes, node_of, sorted(edges.values(), key=lambda x: (x.source, x.target)))


def _edges_of(item: ListedEntity, node_of: dict[str, str]) -> list[Edge]:
    e = item.entity
    out: list[Edge] = []
    is_fact = item.list_name == "analyst_facts"
    publisher = ", ".join(e.get("publisher", quiet=True))
    evidence = f"{item.list_name}@{item.list_date.isoformat()}"
    if is_fact:
        evidence = f"analyst fact, source: {publisher}"
    evidence_date = None if is_fact else item.list_date
    start, end = e.first("startDate", quiet=True), e.first("endDate", quiet=True)
    for schema, src_prop, dst_prop, label in EDGE_SCHEMATA:
        if e.schema.name != schema:
            continue
        role = e.first("role", quiet=True)
        relation = role if schema == "UnknownLink" and role and role != "Linked To" else label
        if schema == "Ownership" and role and role != "owner":
            relation = role
        for s in e.get(src_prop):
            for t in e.get(dst_prop):
                if s in node_of and t in node_of:
                    edge = Edge(
                        node_of[s],
                        node_of[t],
                        relation,
                        evidence,
                        start,
                        end,
                        str(e.id),
                        evidence_date,
                    )
                    out.append(edge)
    if e.schema.is_a("Vehicle") and str(e.id) in node_of:
        for op in e.get("operator"):
            if op in node_of:
                out.append(
                    Edge(
                        node_of[str(e.id)],
                        node_of[op],
                        "operated by",
                        evidence,
                        evidence_date=evidence_date,
                    )
                )
    return out


def _valid_on(edge: Edge, on: date | None) -> bool:
    if on is None:
        return True
    if edge.start and date_bounds(edge.start)[0] > on:
        return False
    return not (edge.end and date_bounds(edge.end)[1] < on)


def _step_order(step: Step) -> tuple[str, date, str, str]:
    # Analyst facts (no evidence date) first, then the earliest list version.
    return (step.node, step.edge.evidence_date or date.min, step.edge.relation, step.edge.evidence)


def exposure_paths(
    graph: EntityGraph,
    start_entity_ids: Sequence[str],
    max_depth: int = 2,
    on: date | None = None,
    max_paths: int = 200,
) -> list[ExposurePath]:
    """Shortest paths (up to ``max_depth`` hops) from the start identity to every identity reached.

    Relations dated outside ``on`` (an ownership that began later or had ended) are not followed.
    Of several records of one relation, the earliest list version is the one shown; a relation
    known only from a list published after ``on`` is followed and flagged (``published_after``).
    """
    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    starts = sorted({graph.node_of[i] for i in start_entity_ids if i in graph.node_of})
    adjacency: dict[str, list[Step]] = {}
    for edge in graph.edges:
        if not _valid_on(edge, on) or edge.source == edge.target:
            continue
        adjacency.setdefault(edge.source, []).append(Step(edge, False, edge.target))
        adjacency.setdefault(edge.target, []).append(Step(edge, True, edge.source))
    paths: list[ExposurePath] = []
    for start in starts:
        seen = {start}
        queue: deque[tuple[str, tuple[Step, ...]]] = deque([(start, ())])
        while queue and len(paths) < max_paths:
            node, steps = queue.popleft()
            if len(steps) >= max_depth:
                continue
            steps_here = sorted(adjacency.get(node, []), key=_step_order)
            for step in steps_here:
                if step.node in seen:
                    continue
                seen.add(step.node)
                path = (*steps, step)
                paths.append(ExposurePath(start, path))
                queue.append((step.node, path))
    return paths
