"""The door names every reason the sessions domain gives: none reaches a client without its ErrorCode.

The domain words its reasons as plain strings where it decides them (a refusal's first argument, a
`code=` passed on, a `(code, message)` returned, a table's values); this test reads them from the
source, so a reason added there fails here until sessions/api_errors.py names it.
"""

import ast
import inspect
import re

import pytest

from sessions import charging_needs, driver_sessions, guards, remote_control
from sessions.api_errors import REASONS, SESSION_ERRORS

REASON = re.compile(r"[a-z]+(_[a-z]+)+")


def reasons_in(module) -> tuple[set[str], set[str]]:
    """(every reason the module words, those a session is left with: passed on as `code=` or returned)."""
    tree = ast.parse(inspect.getsource(module))
    every, kept = set(), set()
    skip = set()  # arguments of other calls and keys of rows: ORM field names, not reasons
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            skip.add(id(node.slice))
        elif isinstance(node, ast.Call):
            refusal = getattr(node.func, "id", getattr(node.func, "attr", "")).endswith("Refused")
            skip.update(id(arg) for arg in node.args[1 if refusal else 0 :])
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    kept.add(keyword.value.value)
                else:
                    skip.add(id(keyword.value))
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            first = node.value.elts[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                kept.add(first.value)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # a docstring
    for node in ast.walk(tree):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in skip and REASON.fullmatch(node.value):
            every.add(node.value)
    return every | kept, kept


@pytest.mark.parametrize(
    "module", [charging_needs, driver_sessions, guards, remote_control], ids=lambda module: module.__name__
)
def test_every_reason_the_domain_gives_has_an_error_code(module):
    every, kept = reasons_in(module)
    assert every, "found no reason: the scan no longer matches how the module words them"
    assert every - set(REASONS) == set()
    assert {REASONS[code] for code in kept} - set(SESSION_ERRORS) == set()


def test_the_scan_finds_reasons_wherever_the_domain_words_them():
    every, kept = reasons_in(driver_sessions)
    assert {"connector_faulted", "idempotency_key_reused", "session_not_active"} <= every - kept
    assert {"start_timeout", "authorization_rejected"} <= kept
    assert {"station_not_responding", "station_rejected"} <= reasons_in(remote_control)[1]


def test_refusals_a_session_is_failed_with_are_session_errors_too():
    assert {REASONS[code] for code in driver_sessions.REFUSALS_AT_START} <= set(SESSION_ERRORS)


def test_the_door_names_only_reasons_the_domain_gives():
    """Both ways: a reason moved to a module this test does not read fails here, instead of going unchecked."""
    every = set().union(
        *(reasons_in(module)[0] for module in (charging_needs, driver_sessions, guards, remote_control))
    )
    assert set(REASONS) == every
