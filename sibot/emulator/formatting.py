"""Message text as Telegram sees it: HTML parsed into plain text and entities, lengths in UTF-16."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from sibot.emulator.wire import bad_request

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SUPPORTED_TAGS = frozenset({*_SIMPLE_TAGS, "a", "span", "blockquote", "tg-emoji"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(
    r"<(?P<end>/?)(?P<name>[a-zA-Z][a-zA-Z0-9-]*)"
    r"(?P<attrs>(?:\s+[a-zA-Z_-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_TAG_NAME = re.compile(r"</?([^\s>]*)")
_ATTRIBUTE = re.compile(r"([a-zA-Z_-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);")
_COMMAND = re.compile(r"(?<![\w/])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/])")


def utf16_length(text: str) -> int:
    """Telegram measures text and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(slots=True)
class FormattedText:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    def content(self) -> dict[str, Any]:
        """The text fields of a Bot API Message: `text`, and `entities` when there are any."""
        content: dict[str, Any] = {"text": self.text}
        if self.entities:
            content["entities"] = self.entities
        return content


def formatted(
    source: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> FormattedText:
    """The text and entities a message gets; Markdown modes pass through unparsed."""
    if parse_mode is None or parse_mode == "":
        return FormattedText(source, list(entities or []))
    if parse_mode.lower() == "html":
        return parse_html(source)
    if parse_mode.lower() in ("markdown", "markdownv2"):
        return FormattedText(source)
    raise bad_request(f"unsupported parse_mode {parse_mode}")


def check_length(text: str, limit: int, *, caption: bool) -> None:
    if utf16_length(text) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entities Telegram marks in a user's text."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_length(text[: match.start()]),
            "length": utf16_length(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


@dataclass(slots=True)
class _OpenTag:
    name: str
    entity: dict[str, Any] | None
    start: int


class _HtmlParser:
    """Telegram's HTML subset: a strict tag stack and the four named entities."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pieces: list[str] = []
        self.length = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def parse(self) -> FormattedText:
        position = 0
        while position < len(self.source):
            char = self.source[position]
            if char == "<":
                position = self._tag(position)
            elif char == "&":
                position = self._entity(position)
            else:
                stop = _next_special(self.source, position)
                self._emit(self.source[position:stop])
                position = stop
        if self.stack:
            self._fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return FormattedText("".join(self.pieces), self.entities)

    def _emit(self, text: str) -> None:
        self.pieces.append(text)
        self.length += utf16_length(text)

    def _byte_offset(self, position: int) -> int:
        return len(self.source[:position].encode())

    def _fail(self, reason: str) -> None:
        raise bad_request(f"can't parse entities: {reason}")

    def _entity(self, position: int) -> int:
        match = _ENTITY.match(self.source, position)
        if match is None:
            self._emit("&")
            return position + 1
        name = match.group(1)
        if name.startswith("#"):
            self._emit(html.unescape(match.group()))
        else:
            self._emit(_NAMED_ENTITIES.get(name.lower(), match.group()))
        return match.end()

    def _tag(self, position: int) -> int:
        match = _TAG.match(self.source, position)
        if match is None:
            name = _TAG_NAME.match(self.source, position)
            token = name.group(1) if name else ""
            self._fail(f'Unsupported start tag "{token}" at byte offset {self._byte_offset(position)}')
        assert match is not None
        name = match.group("name").lower()
        if match.group("end"):
            self._close(name, position)
        else:
            self._open(name, _attributes(match.group("attrs")), position)
        return match.end()

    def _open(self, name: str, attributes: dict[str, str], position: int) -> None:
        if name not in _SUPPORTED_TAGS:
            self._fail(f'Unsupported start tag "{name}" at byte offset {self._byte_offset(position)}')
        if name == "span" and attributes.get("class") != "tg-spoiler":
            self._fail('Tag "span" must have class "tg-spoiler"')
        entity = self._entity_for(name, attributes)
        self.stack.append(_OpenTag(name, entity, self.length))

    def _entity_for(self, name: str, attributes: dict[str, str]) -> dict[str, Any] | None:
        if name in _SIMPLE_TAGS:
            code_in_pre = name == "code" and self.stack and self.stack[-1].name == "pre"
            language = attributes.get("class", "").removeprefix("language-")
            if code_in_pre and self.stack[-1].entity is not None:
                if language:
                    self.stack[-1].entity["language"] = language
                return None
            return {"type": _SIMPLE_TAGS[name]}
        if name == "span":
            return {"type": "spoiler"}
        if name == "a":
            return {"type": "text_link", "url": attributes["href"]} if "href" in attributes else None
        if name == "blockquote":
            kind = "expandable_blockquote" if "expandable" in attributes else "blockquote"
            return {"type": kind}
        return {"type": "custom_emoji", "custom_emoji_id": attributes.get("emoji-id", "")}

    def _close(self, name: str, position: int) -> None:
        offset = self._byte_offset(position)
        if not self.stack:
            self._fail(f"Unexpected end tag at byte offset {offset}")
        opened = self.stack.pop()
        if opened.name != name:
            self._fail(
                f'Unmatched end tag at byte offset {offset}, expected "</{opened.name}>", '
                f'found "</{name}>"'
            )
        length = self.length - opened.start
        if opened.entity is not None and length > 0:
            self.entities.append({**opened.entity, "offset": opened.start, "length": length})


def _next_special(source: str, position: int) -> int:
    stops = [index for index in (source.find("<", position), source.find("&", position)) if index >= 0]
    return min(stops, default=len(source))


def _attributes(text: str) -> dict[str, str]:
    return {
        match.group(1).lower(): html.unescape(next((g for g in match.groups()[1:] if g is not None), ""))
        for match in _ATTRIBUTE.finditer(text)
    }


def parse_html(source: str) -> FormattedText:
    """Plain text and entities of an HTML message, or 400 "can't parse entities" as Telegram."""
    return _HtmlParser(source).parse()
