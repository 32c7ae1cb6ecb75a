"""The session's handlers use its public verbs only (issue 19: they reached into ``Session``
through about 80 uses of its underscored members)."""

from __future__ import annotations

import ast
from pathlib import Path

SESSION = Path(__file__).resolve().parent.parent / "companion" / "session"


def private_uses(path: Path) -> list[str]:
    """``x._name`` where ``x`` is not ``self``: a module reaching into another's privates."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id == "self")
        ):
            found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_no_session_module_uses_another_s_underscored_members() -> None:
    modules = sorted(SESSION.glob("*.py"))
    assert len(modules) > 5
    assert [use for path in modules for use in private_uses(path)] == []
