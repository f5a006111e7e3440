"""The Babel extraction method that turns the English catalog into gettext messages.

English is the source language and lives in `sibot/texts/en/*.py` as `MESSAGES` dicts, not in
`_()` calls. This reads those modules with `ast` (never importing them) and gives Babel one
message per entry: the key is the gettext context (msgctxt), so two keys with the same English
stay separate, and the English text is the msgid. Comment lines right above an entry go to the
translators. babel.cfg names this function, so `pybabel extract` picks up new keys by itself.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

# What Babel expects from an extraction method: line, gettext function, its arguments, comments.
Extracted = tuple[int, str, tuple[str, ...], list[str]]


def extract_catalog(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Yield `pgettext(key, english)` or `npgettext(key, one, other)` for every catalog entry."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    comments = _comments_by_line(source)
    for node in ast.parse(source).body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if not isinstance(value, ast.Dict):
            continue
        for key, entry in zip(value.keys, value.values, strict=True):
            if key is None:  # `**other_dict`: its entries are extracted where it is written
                continue
            yield _message(key, entry, _comments_above(comments, key.lineno))


def _message(key: ast.expr, entry: ast.expr, comments: list[str]) -> Extracted:
    name = _literal(key, "key")
    if isinstance(entry, ast.Call) and isinstance(entry.func, ast.Name) and entry.func.id == "Plural":
        forms = {keyword.arg: keyword.value for keyword in entry.keywords}
        forms.update(zip(("one", "other"), entry.args, strict=False))
        one, other = (_literal(forms[form], name) for form in ("one", "other"))
        return key.lineno, "npgettext", (name, one, other), comments
    return key.lineno, "pgettext", (name, _literal(entry, name)), comments


def _literal(node: ast.expr, what: str) -> str:
    """A string written out in the source; anything computed is an error the extraction shows."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise ValueError(
        f"line {node.lineno}: {what} must be a string literal (or Plural of literals) for extraction"
    )


def _comments_by_line(source: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {
        token.start[0]: token.string.lstrip("#").strip()
        for token in tokens
        if token.type == tokenize.COMMENT
    }


def _comments_above(comments: dict[int, str], line: int) -> list[str]:
    block: list[str] = []
    while line - 1 in comments:
        line -= 1
        block.insert(0, comments[line])
    return block
