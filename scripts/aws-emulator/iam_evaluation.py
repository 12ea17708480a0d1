"""AWS's identity-policy evaluation, for the emulator's IAM enforcement: an explicit Deny wins, then
any Allow, else the implicit deny; Action/NotAction and Resource/NotResource with IAM's `*` and `?`
wildcards; Condition with the String and Arn operators (and IfExists); any other operator never
matches. Tested against AWS's documented examples in test_iam_enforcement.py."""

import fnmatch


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _glob(pattern, value, case_sensitive=True):
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    # IAM wildcards are * and ?; fnmatch's [..] classes do not exist in IAM, so escape them.
    pattern = pattern.replace("[", "[[]")
    return fnmatch.fnmatchcase(value, pattern)


def _matches_condition(condition, context):
    """StringEquals/StringLike/ArnLike/ArnEquals (and their Not forms, IfExists); unknown operators never match."""
    for operator, tests in (condition or {}).items():
        if_exists = operator.endswith("IfExists")
        base = operator[:-len("IfExists")] if if_exists else operator
        for key, expected in tests.items():
            present = key in context
            if not present:
                if if_exists or base.startswith(("StringNot", "ArnNot")):
                    continue
                return False
            value = str(context[key])
            expected = [str(e) for e in as_list(expected)]
            if base in ("StringEquals", "ArnEquals"):
                ok = value in expected
            elif base == "StringEqualsIgnoreCase":
                ok = value.lower() in [e.lower() for e in expected]
            elif base in ("StringLike", "ArnLike"):
                ok = any(_glob(e, value) for e in expected)
            elif base in ("StringNotEquals", "ArnNotEquals"):
                ok = value not in expected
            elif base in ("StringNotLike", "ArnNotLike"):
                ok = not any(_glob(e, value) for e in expected)
            else:
                return False
            if not ok:
                return False
    return True


def statement_matches(statement, action, resource, context):
    if "Action" in statement:
        if not any(_glob(a, action, case_sensitive=False) for a in as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_glob(a, action, case_sensitive=False) for a in as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        if not any(_glob(r, resource) for r in as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(_glob(r, resource) for r in as_list(statement["NotResource"])):
            return False
    else:
        return False
    return _matches_condition(statement.get("Condition"), context)


def allowed(policies, action, resource, context=None):
    """AWS's identity-policy logic: an explicit Deny wins, then any Allow, else the implicit deny."""
    context = context or {}
    verdict = False
    for policy in policies:
        for statement in as_list(policy.get("Statement")):
            if not statement_matches(statement, action, resource, context):
                continue
            if statement.get("Effect") == "Deny":
                return False
            if statement.get("Effect") == "Allow":
                verdict = True
    return verdict
