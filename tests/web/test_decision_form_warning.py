"""Issue 12, finding 7: the proposal form warns that no personal data belongs in it."""

from __future__ import annotations

import httpx

from tests.factories import World
from tests.web.pages import Browser, visible_text


async def test_the_decision_form_warns_against_personal_data(
    client: httpx.AsyncClient, world: World
) -> None:
    member = Browser(client)
    await member.log_in(world.referrer)

    page = visible_text(await member.read("/decisions/new"))

    assert (
        "Attention : Aucune donnée personnelle dans l'intitulé ni dans la description : ni nom, "
        "ni prénom, ni téléphone, ni adresse, ni situation d'une personne."
    ) in page
    # Before the fields it is about.
    assert page.index("Attention :") < page.index("Intitulé")
