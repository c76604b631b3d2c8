"""The publics vocabulary is data·inclusion's, from the published schema, plus relais's four."""

from data_inclusion.schema import v1 as data_inclusion

from core.enums import Public


def test_every_data_inclusion_public_is_a_public_with_its_label() -> None:
    for imported in data_inclusion.Public:
        assert Public(imported.value).label == imported.label
        assert not Public(imported.value).is_relais_addition


def test_the_plan_s_statuses_are_relais_s_own_marked_additions() -> None:
    own = {member.value for member in Public if member.is_relais_addition}
    assert own == {"rsa", "ass", "aah", "rqth"}
    assert not own & {member.value for member in data_inclusion.Public}
    assert len(Public) == len(data_inclusion.Public) + 4
