"""Data tables read as cards on a phone: each data cell carries its column's name, taken
from the table's own header, and the markup stays a table."""

from __future__ import annotations

from web.tables import column_labels, labelled_tables


def test_each_data_cell_is_labelled_with_its_column() -> None:
    html = labelled_tables(
        "<table><caption>Dossiers</caption>"
        '<thead><tr><th scope="col">Échéance</th><th scope="col">À faire</th></tr></thead>'
        "<tbody><tr><td>lundi</td><td>Répondre</td></tr>"
        '<tr class="overdue"><td>mardi</td><td>Relancer</td></tr></tbody></table>'
    )
    assert html == (
        '<table class="stacked"><caption>Dossiers</caption>'
        '<thead><tr><th scope="col">Échéance</th><th scope="col">À faire</th></tr></thead>'
        '<tbody><tr><td data-label="Échéance">lundi</td><td data-label="À faire">Répondre</td>'
        '</tr><tr class="overdue"><td data-label="Échéance">mardi</td>'
        '<td data-label="À faire">Relancer</td></tr></tbody></table>'
    )


def test_row_headers_spans_and_hidden_names_keep_the_columns_aligned() -> None:
    html = labelled_tables(
        '<table class="report"><thead><tr><th scope="col">Mois</th>'
        '<th scope="col" colspan="2">Envoyées &amp; reçues</th>'
        '<th scope="col"><span class="visually-hidden">Action</span></th><th></th></tr></thead>'
        '<tbody><tr><th scope="row">mars</th><td>1</td><td>2</td><td><a href="/x">Voir</a></td>'
        "<td>—</td></tr></tbody></table>"
    )
    assert '<table class="report stacked">' in html
    assert '<th scope="row">mars</th>' in html  # a row header is no data cell
    assert '<td data-label="Envoyées &amp; reçues">1</td>' in html
    assert '<td data-label="Envoyées &amp; reçues">2</td>' in html
    assert '<td data-label="Action"><a href="/x">Voir</a></td>' in html
    assert "<td>—</td>" in html  # a column without a name labels nothing


def test_a_name_with_quotes_is_escaped_in_the_attribute() -> None:
    html = labelled_tables(
        '<table><thead><tr><th scope="col">L&#39;offre « "phare" »</th></tr></thead>'
        "<tbody><tr><td>x</td></tr></tbody></table>"
    )
    assert '<td data-label="L&#x27;offre « &quot;phare&quot; »">x</td>' in html


def test_a_table_without_header_and_the_rest_of_the_page_are_left_alone() -> None:
    page = "<p>Avant</p><table><tr><td>a</td></tr></table><p>Après</p>"
    assert labelled_tables(page) == page
    assert column_labels("<thead><tr><th>A</th><th colspan='3'>B</th></tr></thead>") == [
        "A",
        "B",
        "B",
        "B",
    ]
