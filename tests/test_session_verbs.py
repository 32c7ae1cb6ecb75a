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


HANDLERS = ("handlers.py", "handle_flow.py", "handle_anytime.py")
MUTATORS = {"append", "clear", "pop", "add", "remove", "update", "extend", "discard"}
OWN_STATE = {"pain_after_set"}
"""Written by a handler itself: the pain questions' own bookkeeping (with ``pain.py``)."""


def session_attribute(node: ast.expr) -> str | None:
    """``x`` for ``s.x``, ``s.x[i]`` or ``s.x.y`` (the session's attribute underneath)."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return node.attr if node.value.id == "s" else None
        node = node.value
    return None


def state_writes(path: Path) -> list[str]:
    """Where a handler changes the session ``s`` itself (``s.x = ...``, ``s.x += ...``,
    ``s.x[i] = ...``, ``s.x.clear()``) instead of asking one of its verbs."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        changed: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            for target in node.targets:
                changed += target.elts if isinstance(target, ast.Tuple) else [target]
        elif isinstance(node, ast.AugAssign):
            changed = [node.target]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATORS
        ):
            changed = [node.func.value]
        for target in changed:
            name = session_attribute(target)
            if name is not None and name not in OWN_STATE:
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_the_command_handlers_change_the_session_only_through_its_verbs() -> None:
    writes = [w for name in HANDLERS for w in state_writes(SESSION / name)]
    assert writes == []
