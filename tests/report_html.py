"""Reading the therapist report's HTML in tests: a section by its id, a table's cells as text."""

from __future__ import annotations

import re


def section(html: str, name: str) -> str:
    """The inside of ``<section id="name">``."""
    return html.split(f'<section id="{name}">', 1)[1].split("</section>", 1)[0]


def rows(section_html: str) -> list[list[str]]:
    """Each body row of the section's table, its cells as plain text."""
    body = section_html.split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]
