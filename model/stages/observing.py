"""Stage 6 of a period: observation and trust. What each organisation saw of each other
this period becomes observation and weight matrices (row: the observer) written into the
trust network; then every belief is updated at once and leadership may turn over.

Two ways of seeing (MODEL.md s3b; docs/odd.md 7.4): everyday work (joint work between
providers, weighted by their efforts and ``everyday_contact``; a commissioner's
monitoring, ``commissioner_watch`` or ``distant_watch`` for a provider behind a lead;
providers judging their commissioner) and the leadership teams the governance terms set
up, which add weight (how often they meet) and see conduct with a clarity set by open
book and shared data (``with_forum``). A squeeze is a broken promise: the squeezed
subcontractor sees its lead at 0 with weight 1.

Inputs: this period's effort and push of each provider, each commissioner's capability,
the contracts in force (forums, ``at_distance``), who has failed, the behaviour priors.
Outputs: ``trust.observation``, ``trust.weight``, the decayed ``joint_work``; then
``trust.update`` (Beta evidence with forgetting, ``agents/trust.py``) and each
organisation's ``change_leadership`` (one draw a period from its own TURNOVER stream,
keyed to its name; seed 000 s3.1).

Also here: the trust graph at set-up (``build_network``: initial trust, prior evidence,
named pairs) and the sticky rift between the lead commissioner and its main provider
(seed 000 s3.1, ``set_rift``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
from alliancesim.agents.commissioner import Commissioner
from alliancesim.agents.incentives import forums
from alliancesim.agents.provider import Provider
from alliancesim.agents.trust import (
    commissioner_seen_by_provider,
    conduct_seen,
    provider_seen_by_commissioner,
)
from alliancesim.model.economy import Delivery
from alliancesim.model.elementwise import anywhere, maximum, minimum, per_row

if TYPE_CHECKING:
    from alliancesim.model.simulation import HealthEconomyModel


def update_trust(model: HealthEconomyModel) -> None:
    """Every belief at once, on this period's observations; then leadership may turn over."""
    model.trust.update(model.scenario_spec.trust.forgetting)  # every belief at once
    for org in model.orgs.values():
        org.change_leadership()


def observe(model: HealthEconomyModel, delivery: Delivery) -> None:
    """What each organisation saw of each other this period, as observation and weight
    matrices (row: the observer) written into the trust network.

    Two ways of seeing: everyday work (joint work between providers, a commissioner's
    monitoring) and the leadership teams the governance terms set up, which add
    weight (how often they meet) and see conduct with a clarity set by open book and
    shared data (MODEL.md s3b; docs/odd.md 7.4).

    Efforts, pushes, capabilities and squeezes may be arrays over replications (issue
    14): the matrices written are then (R, n, n); who sees whom is common to all. So may
    the priors (``model/ensemble/priors.py``): an (R,) prior meets the (n,) and (n, n)
    values over organisations as (R, 1) or (R, 1, 1) (``per_row``)."""
    behaviour = model.scenario_spec.behaviour
    commissioners, providers = model._in_trust_order
    blank_c, blank_p = [0.0] * len(commissioners), [0.0] * len(providers)
    push_max = maximum(1e-9, behaviour.admission_push_max)
    effort = per_organisation(blank_c + [p.effort for p in providers])
    push = per_organisation(blank_c + [p.push for p in providers]) / per_row(push_max, 1)
    capability = per_organisation([c.capability for c in commissioners] + blank_p)[..., None, :]
    observation, weight = seen_this_period(
        effort, push, capability, observation_pattern(model), per_row(behaviour.everyday_contact, 2)
    )
    index = model.trust.index
    broken = [
        (index[sub], index[squeezer.name], squeezed)
        for squeezer in model.providers
        if squeezer.squeezing
        for sub, squeezed in squeezer.squeezing.items()
        if anywhere(squeezed) and not squeezer.failed and not model.orgs[sub].failed
    ]
    if broken:
        observation, weight = with_broken_promises(observation, weight, broken)
    model.trust.observation = observation
    model.trust.weight = weight
    if weight.ndim > model.joint_work.ndim:  # conduct differed between replications
        model.joint_work = np.broadcast_to(model.joint_work, weight.shape).copy()
    model.joint_work *= 0.9
    model.joint_work += weight


def per_organisation(values: list) -> np.ndarray:
    """One value per organisation as an array with the organisation axis last: (n,) from
    numbers, (R, n) when any value is an (R,) array over replications."""
    for value in values:
        if isinstance(value, np.ndarray):
            columns = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))
            return np.stack(columns, axis=-1)
    return np.array(values)


def seen_this_period(
    effort: np.ndarray,
    push: np.ndarray,
    capability: np.ndarray,
    pattern: tuple[Any, ...],
    everyday_contact: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Observation and weight matrices (row: the observer) from this period's conduct.

    ``effort`` and ``push`` (push as a share of its maximum) are per organisation in
    trust order (0 for commissioners), ``capability`` each commissioner's, as a row
    (0 for providers); ``pattern`` is ``observation_pattern``. Providers read each other
    by reciprocal fairness, weighted by joint work (the smaller effort of the two plus
    ``everyday_contact``); commissioners watch providers; providers judge their
    commissioner's dealings; a forum adds what its members see (``with_forum``). The
    organisation axis is the last one, so leading axes (replications) broadcast."""
    between, watched, judging, base_weight, forum_weight, clarity = pattern
    observer, observed = effort[..., :, None], effort[..., None, :]
    observation = np.where(
        between,
        conduct_seen(observer, observed, push[..., None, :]),
        np.where(
            watched,
            provider_seen_by_commissioner(effort, push)[..., None, :],
            np.where(judging, commissioner_seen_by_provider(capability, push[..., :, None]), 0.5),
        ),
    )
    weight = np.where(between, np.minimum(observer, observed) + everyday_contact, base_weight)
    if forum_weight is not None:
        observation, weight = with_forum(observation, weight, forum_weight, clarity)
    return observation, weight


def with_broken_promises(
    observation: np.ndarray, weight: np.ndarray, broken: list[tuple]
) -> tuple[np.ndarray, np.ndarray]:
    """A squeeze is a broken promise: each squeezed subcontractor (row) sees its lead
    (column) at 0, with weight 1. ``broken``: (sub, lead) index pairs, or (sub, lead,
    where) with ``where`` a flag or a bool array (R,) for the replications squeezed.
    Written in place (matrices common to all replications become (R, n, n) copies when
    a squeeze happened in some only); returns the two matrices."""
    for sub, lead, *where in broken:
        flag = where[0] if where else True
        if isinstance(flag, np.ndarray):
            shape = (flag.shape[0], *observation.shape[-2:])
            if observation.shape != shape:
                observation = np.broadcast_to(observation, shape).copy()
            if weight.shape != shape:
                weight = np.broadcast_to(weight, shape).copy()
            observation[:, sub, lead] = np.where(flag, 0.0, observation[:, sub, lead])
            weight[:, sub, lead] = np.where(flag, 1.0, weight[:, sub, lead])
        elif flag:
            observation[..., sub, lead] = 0.0
            weight[..., sub, lead] = 1.0
    return observation, weight


def observation_pattern(model: HealthEconomyModel) -> tuple[Any, ...]:
    """Who observes whom, the fixed weights, and what the leadership teams add (weight
    and clarity; None when no forum meets): rebuilt when a provider fails or the
    contracts change. A commissioner sees less of a provider it does not pay directly
    (a subcontractor behind a lead): ``distant_watch`` instead of ``commissioner_watch``."""
    cached = model._pattern
    if cached is not None and cached[0] is model.contracts and cached[1] == model.n_failed:
        return cached[2]
    behaviour = model.scenario_spec.behaviour
    orgs = orgs_in_trust_order(model)
    is_provider = np.array([isinstance(o, Provider) and not o.failed for o in orgs])
    is_commissioner = np.array([isinstance(o, Commissioner) for o in orgs])
    between = is_provider[:, None] & is_provider[None, :]
    np.fill_diagonal(between, False)
    watched = is_commissioner[:, None] & is_provider[None, :]
    judging = is_provider[:, None] & is_commissioner[None, :]
    at_distance = model.at_distance
    distant = np.array([[(a.name, b.name) in at_distance for b in orgs] for a in orgs])
    watch = np.where(
        distant, per_row(behaviour.distant_watch, 2), per_row(behaviour.commissioner_watch, 2)
    )
    base_weight = np.where(watched, watch, 0.0)
    base_weight = np.where(judging, per_row(behaviour.provider_judging, 2), base_weight)
    forum_weight, clarity = forum_pattern(model, between | watched | judging)
    pattern = (between, watched, judging, base_weight, forum_weight, clarity)
    model._pattern = (model.contracts, model.n_failed, pattern)
    return pattern


def forum_pattern(
    model: HealthEconomyModel, seen: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Observation weight and clarity the leadership teams in force add to each pair
    whose conduct is seen at all (``seen``); (None, None) when no forum meets.

    Weight: ``forum_contact`` x meetings a year / 12 (at most monthly). Clarity:
    ``forum_clarity`` + ``open_book_clarity`` with open book + ``shared_data_clarity``
    with shared data, at most 1. A pair at two tables takes the larger of each."""
    tables = forums(model.contracts)
    if not tables:
        return None, None
    behaviour = model.scenario_spec.behaviour
    index = model.trust.index
    n = len(index)
    weight, clarity = np.zeros((n, n)), np.zeros((n, n))
    for forum in tables:
        governance = forum.governance
        seats = np.zeros(n, dtype=bool)
        for name in forum.members:
            if name in index and not getattr(model.orgs[name], "failed", False):
                seats[index[name]] = True
        pair = seats[:, None] & seats[None, :] & seen
        sharpness = minimum(
            1.0,
            behaviour.forum_clarity
            + behaviour.open_book_clarity * governance.open_book
            + behaviour.shared_data_clarity * governance.shared_data,
        )
        contact = per_row(behaviour.forum_contact * forum.frequency, 2)
        weight = np.where(pair, np.maximum(weight, contact), weight)
        clarity = np.where(pair, np.maximum(clarity, per_row(sharpness, 2)), clarity)
    return weight, clarity


def orgs_in_trust_order(model: HealthEconomyModel) -> list:
    """The organisations in the trust network's order (commissioners, then providers)."""
    return [model.orgs[name] for name in model.trust.names]


def is_rift(model: HealthEconomyModel, source: str, target: str) -> bool:
    """The commissioner and its main provider: their rift is sticky (seed 000 s3.1)."""
    return {source, target} == {model.lead_commissioner, model.main_provider}


def set_rift(model: HealthEconomyModel, stickiness: float) -> None:
    """Good news between the commissioner and its main provider counts for less."""
    i = model.trust.index[model.lead_commissioner]
    j = model.trust.index[model.main_provider]
    model.trust.good_news[..., i, j] = model.trust.good_news[..., j, i] = stickiness


def network(model: HealthEconomyModel) -> nx.DiGraph:
    """Directed graph of organisations; each edge carries the source's current trust
    in the target and their joint-work history. The agents' evidence is the truth;
    the graph is brought up to date when it is read (not every period). The agent
    model's only: an ensemble's trust is (R, n, n)."""
    graph = model._network
    index = model.trust.index
    trust = model.trust.matrix()
    for source, target, data in graph.edges(data=True):
        i, j = index[source], index[target]
        data["trust"] = float(trust[i, j])
        data["joint_work"] = float(model.joint_work[i, j])
    return graph


def build_network(model: HealthEconomyModel) -> nx.DiGraph:
    """Directed trust graph of every pair of organisations, with initial trust."""
    spec = model.scenario_spec.trust
    graph = nx.DiGraph()
    for org in model.orgs.values():
        graph.add_node(org.name, kind=org.kind)
    for source in model.orgs.values():
        for target in model.orgs.values():
            if source is target:
                continue
            initial = spec.initial
            is_pair = isinstance(source, Commissioner) != isinstance(target, Commissioner)
            if is_pair and spec.commissioner_provider is not None:
                initial = spec.commissioner_provider
            source.set_initial_trust(target.name, initial, spec.prior_evidence)
            graph.add_edge(source.name, target.name, trust=initial, joint_work=0.0)
    for pair in spec.pairs:
        model.orgs[pair.source].set_initial_trust(pair.target, pair.value, spec.prior_evidence)
        graph.edges[pair.source, pair.target]["trust"] = pair.value
    return graph


def with_forum(
    observation: np.ndarray, weight: np.ndarray, forum_weight: np.ndarray, clarity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Add what a leadership team sees to everyday observation: the same conduct, read
    at the forum with clarity k (``0.5 + k x (o - 0.5)``: what is not seen clearly reads
    as neutral), pooled with everyday observation in proportion to the two weights."""
    at_forum = 0.5 + clarity * (observation - 0.5)
    total = weight + forum_weight
    pooled = np.where(
        total > 0.0,
        (weight * observation + forum_weight * at_forum) / np.where(total > 0.0, total, 1.0),
        observation,
    )
    return pooled, total
