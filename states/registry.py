"""Every lifecycle relais runs, by name: the sweep and the digest go through all of them."""

from __future__ import annotations

from states.accompaniment import ACCOMPANIMENT
from states.action import ACTION
from states.action_plan import ACTION_PLAN
from states.decision import DECISION
from states.handover import HANDOVER
from states.lifecycle import Lifecycle
from states.referral import REFERRAL

LIFECYCLES: dict[str, Lifecycle] = {
    lifecycle.name: lifecycle
    for lifecycle in (REFERRAL, HANDOVER, ACCOMPANIMENT, DECISION, ACTION, ACTION_PLAN)
}
