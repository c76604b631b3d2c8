"""What a person reads of each trigger, in sentences: one catalogue per lifecycle.

A trigger's ``Told`` says what its history line reads after its actor (« a transmis
l'orientation à {receiver} »), what the page says once the actor did it (« Orientation
envoyée à {receiver}. »), and, when the case then waits on someone, what happens next if
the generic sentence (« Prochaine étape : <what the state waits for> ») does not fit.

Placeholders name a side of the lifecycle (``{receiver}``): the reader sees its organisation's
name, or the side's label (« Secrétariat des comités »). Every trigger of every lifecycle,
its creation included, has its sentence (tests/states/test_sentences.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Told:
    """The sentences of one trigger."""

    did: str
    """The history line after its actor: « a transmis l'orientation à {receiver} »."""
    done: str
    """What the page says once done: « Orientation envoyée à {receiver}. »."""
    next: str | None = None
    """What comes next, instead of the state's generic « Prochaine étape : … »."""
    when_due: str | None = None
    """For a trigger relais fires on a timer: what the page announces (« l'orientation
    expirera »), followed by its date."""


Catalogue = Mapping[str, Told]
"""Trigger -> its sentences."""

REFERRAL_SENTENCES: Catalogue = {
    "create": Told(did="a créé l'orientation", done="Brouillon d'orientation enregistré."),
    "submit": Told(
        did="a transmis l'orientation à {receiver}", done="Orientation envoyée à {receiver}."
    ),
    "accept": Told(did="a accepté l'orientation", done="Orientation acceptée."),
    "return": Told(
        did="a retourné l'orientation à {referrer}",
        done="Orientation retournée à {referrer}.",
        next="Elle pourra la compléter et la renvoyer, ou la clôturer.",
    ),
    "resubmit": Told(
        did="a renvoyé l'orientation complétée à {receiver}",
        done="Orientation renvoyée à {receiver}.",
    ),
    "start": Told(did="a démarré l'accompagnement", done="Accompagnement démarré."),
    "note": Told(did="a fait le point d'étape", done="Point d'étape enregistré."),
    "complete": Told(
        did="a terminé l'accompagnement", done="Accompagnement terminé ; {referrer} en est informé."
    ),
    "cancel": Told(
        did="a annulé l'orientation", done="Orientation annulée ; {receiver} en est informé."
    ),
    "close": Told(did="a clôturé l'orientation", done="Orientation clôturée."),
    "reassign": Told(
        did="a réorienté l'orientation vers {receiver}",
        done="Orientation réorientée vers {receiver}.",
    ),
    "expire": Told(
        did="a constaté l'expiration de l'orientation, restée sans réponse",
        done="Orientation expirée, restée sans réponse.",
        when_due="l'orientation expirera",
    ),
}

HANDOVER_SENTENCES: Catalogue = {
    "propose": Told(
        did="a proposé le passage de relais à {successor}",
        done="Passage de relais proposé à {successor}.",
    ),
    "accept": Told(
        did="a accepté le passage de relais",
        done="Passage de relais accepté ; {referent} reste référent jusqu'à la confirmation.",
    ),
    "decline": Told(
        did="a refusé le passage de relais",
        done="Passage de relais refusé ; {referent} reste référent.",
    ),
    "withdraw": Told(
        did="a retiré la proposition de passage de relais",
        done="Proposition retirée ; {referent} reste référent.",
    ),
    "confirm": Told(
        did="a confirmé la première rencontre",
        done="Passage de relais terminé : {successor} est désormais référent.",
    ),
}

ACCOMPANIMENT_SENTENCES: Catalogue = {
    "begin": Told(did="a commencé l'accompagnement", done="Accompagnement commencé."),
    "note": Told(did="a fait le point d'étape", done="Point d'étape enregistré."),
    "end": Told(did="a mis fin à l'accompagnement", done="Accompagnement terminé (sortie)."),
    "hand_over": Told(
        did="a passé le relais de l'accompagnement", done="Accompagnement passé en relais."
    ),
    "add_partner": Told(
        did="a associé une organisation co-accompagnante",
        done="Organisation co-accompagnante associée.",
    ),
    "remove_partner": Told(
        did="a mis fin à un co-accompagnement", done="Co-accompagnement terminé."
    ),
}

DECISION_SENTENCES: Catalogue = {
    "propose": Told(did="a proposé la décision", done="Proposition transmise au secrétariat."),
    "schedule": Told(
        did="a inscrit la proposition à l'ordre du jour",
        done="Proposition inscrite à l'ordre du jour ; {proposer} en est informé.",
    ),
    "approve": Told(did="a enregistré l'approbation", done="Décision approuvée."),
    "reject": Told(did="a enregistré le rejet", done="Proposition rejetée."),
    "adjourn": Told(
        did="a ajourné la proposition",
        done="Proposition ajournée ; {proposer} en est informé.",
    ),
    "publish": Told(
        did="a publié la décision avec le compte rendu",
        done="Décision publiée ; {proposer} en est informé.",
    ),
}

ACTION_SENTENCES: Catalogue = {
    "assign": Told(did="a attribué l'action à {owner}", done="Action attribuée à {owner}."),
    "done": Told(did="a marqué l'action comme faite", done="Action marquée comme faite."),
}

ACTION_PLAN_SENTENCES: Catalogue = {
    "draft": Told(did="a commencé le plan d'action", done="Plan d'action en préparation."),
    "submit": Told(
        did="a soumis le plan d'action au comité de pilotage",
        done="Plan d'action soumis au comité de pilotage.",
    ),
    "return_for_revision": Told(
        did="a renvoyé le plan d'action pour modification",
        done="Plan d'action renvoyé pour modification à {coordination}.",
    ),
    "validate": Told(
        did="a enregistré la validation du comité de pilotage",
        done="Plan d'action validé par le comité de pilotage.",
    ),
    "revise": Told(did="a ouvert la révision du plan", done="Révision du plan d'action ouverte."),
    "supersede": Told(
        did="a remplacé le plan par sa version révisée validée",
        done="Plan remplacé par sa version révisée validée.",
        when_due="le plan sera remplacé",
    ),
}

SENTENCES: Mapping[str, Catalogue] = {
    "referral": REFERRAL_SENTENCES,
    "handover": HANDOVER_SENTENCES,
    "accompaniment": ACCOMPANIMENT_SENTENCES,
    "decision": DECISION_SENTENCES,
    "action": ACTION_SENTENCES,
    "action_plan": ACTION_PLAN_SENTENCES,
}
"""Lifecycle name -> its catalogue."""

MEETING_SENTENCES: Mapping[str, str] = {
    "planned": "Réunion planifiée le {day}. Prochaine étape : inscrire les propositions à son "
    "ordre du jour.",
    "changed": "Réunion mise à jour ; elle aura lieu le {day}.",
    "minutes": "Compte rendu enregistré. Prochaine étape : enregistrer les décisions prises, "
    "puis publier le compte rendu.",
    "published": "Compte rendu publié : il ne change plus, sauf par un rectificatif.",
    "amended": "Rectificatif publié à côté du compte rendu d'origine.",
}
"""What a meeting's page says after each action on it (``?fait=<key>``); ``{day}`` is the
meeting's date and time."""
