"""The pages a public service owes everyone, signed in or not: the accessibility statement
(RGAA), the legal notice, and help and contact. « Données personnelles » is the register
entry's page (``privacy``)."""

from __future__ import annotations

from fastapi import Request, Response

from web.deps import OptionalWebUserDep, SettingsDep
from web.rendering import ACCESSIBILITY_STATUS, render
from web.routing import page_router

router = page_router()

ACCESSIBILITY_PATH = "/accessibilite"
LEGAL_NOTICE_PATH = "/mentions-legales"
HELP_PATH = "/aide"

PAGES_TESTED = (
    "Se connecter, Mot de passe oublié",
    "À traiter",
    "Orienter une personne (formulaire d'orientation) et la page d'une orientation",
    "La fiche d'une personne",
    "Tableau de bord et Indicateurs",
    "Comités, la page d'un groupe projet, Décisions",
    "À faire (secrétariat des comités)",
    "Plan d'action et Rapport annuel",
    "Mon compte, Comptes, Journal des accès",
    "Accessibilité, Mentions légales, Données personnelles, Aide et contact",
)
"""The pages the automated checks open at 360 and 1280 pixels wide (tests/web/*_browser.py)."""


@router.get(ACCESSIBILITY_PATH)
async def accessibility_page(
    request: Request, user: OptionalWebUserDep, settings: SettingsDep
) -> Response:
    """The RGAA accessibility statement: status, what was checked and how, what is not yet
    conform, how to report a problem and where to appeal (no login)."""
    request.state.web_user = user
    context = {
        "title": "Déclaration d'accessibilité",
        "conformity": ACCESSIBILITY_STATUS,
        "pages_tested": PAGES_TESTED,
        "contact": settings.help_contact,
    }
    return render(request, "accessibility.html", context)


@router.get(LEGAL_NOTICE_PATH)
async def legal_notice_page(
    request: Request, user: OptionalWebUserDep, settings: SettingsDep
) -> Response:
    """« Mentions légales »: publisher, host, and where personal data is described (no login)."""
    request.state.web_user = user
    context = {
        "title": "Mentions légales",
        "publisher": settings.legal_publisher,
        "host": settings.legal_host,
        "contact": settings.help_contact,
    }
    return render(request, "legal_notice.html", context)


@router.get(HELP_PATH)
async def help_page(request: Request, user: OptionalWebUserDep, settings: SettingsDep) -> Response:
    """« Aide et contact »: how to reach the plan's coordination, what to ask whom (no login)."""
    request.state.web_user = user
    context = {
        "title": "Aide et contact",
        "contact": settings.help_contact,
        "privacy_contact": settings.privacy_contact,
    }
    return render(request, "help.html", context)
