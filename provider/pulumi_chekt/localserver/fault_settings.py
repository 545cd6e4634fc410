"""What the local server injects, and how each setting is read: one statement per field.

Every field of the dataclasses below carries a :class:`Setting` saying how a given value is checked
and stored and, for ``FaultSettings``, the help of its ``--fault-<name>`` command-line flag. The
config file's ``faults``, ``PUT /_admin/faults``, ``POST /_admin/faults/queue`` and the command
line all read through :func:`read_settings`, so a setting is written once. ``faults.py`` decides,
per request, what the settings mean.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import Field, asdict, dataclass, field, fields
from typing import Any, Literal, TypeVar

from pulumi_chekt.localserver.store import MAX_ID

When = Literal["before", "after"]
T = TypeVar("T")

MAX_DELAY_MS = 600_000

Parse = Callable[[Any, str], Any]
"""Checks a value given for a key and returns it as stored; ValueError names the key."""


@dataclass(frozen=True)
class Setting:
    """How one field is read: ``parse`` checks a given value; a null is the default when
    ``null_is_default``; ``flag`` is the help of its ``--fault-<name>`` option (none when empty)."""

    parse: Parse
    null_is_default: bool = False
    flag: str = ""
    metavar: str = ""
    flag_type: Callable[[str], Any] = str


def _setting(default: Any, parse: Parse, **how: Any) -> Any:
    return field(default=default, metadata={"setting": Setting(parse, **how)})


def _rate(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{key} must be a number from 0 to 1, got {value!r}")
    return float(value)


def _integer(low: int, high: int, *, nullable: bool = False) -> Parse:
    def parse(value: Any, key: str) -> int | None:
        if value is None and nullable:
            return None
        if value is None:
            raise ValueError(f"{key} must be an integer from {low} to {high}, not null")
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{key} must be an integer from {low} to {high}, got {value!r}")
        return value

    return parse


def _statuses(low: int, high: int, *, non_empty: bool = False) -> Parse:
    def parse(value: Any, key: str) -> tuple[int, ...]:
        if not isinstance(value, list | tuple) or len(value) > 100:
            raise ValueError(
                f"{key} must be a list of at most 100 statuses from {low} to {high}, got {value!r}"
            )
        if non_empty and not value:
            raise ValueError(f"{key} must not be empty")
        return tuple(_integer(low, high)(item, key) for item in value)

    return parse


def _text(*, nullable: bool) -> Parse:
    def parse(value: Any, key: str) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string{' or null' if nullable else ''}")
        return value

    return parse


def _boolean(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false")
    return value


def _when(value: Any, key: str) -> When:
    if value not in ("before", "after"):
        raise ValueError(f'{key} must be "before" or "after"')
    return "before" if value == "before" else "after"


def _method(value: Any, key: str) -> str | None:
    text: str | None = _text(nullable=True)(value, key)
    return text.upper() if text else None


def _path_pattern(value: Any, key: str) -> str | None:
    text: str | None = _text(nullable=True)(value, key)
    if text is not None:
        try:
            re.compile(text)
        except re.error as error:
            raise ValueError(f"{key} is not a valid regular expression: {error}") from error
    return text


def _list_of(read: Callable[[Any], T]) -> Parse:
    def parse(value: Any, key: str) -> tuple[T, ...]:
        if not isinstance(value, list | tuple):
            raise ValueError(f"{key} must be a list")
        return tuple(read(item) for item in value)

    return parse


def status_codes(text: str) -> list[int]:
    """A command-line list of statuses, ``500,502,503`` (the settings check the range)."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"expected comma-separated status codes, got {text!r}") from None


def _settings_of(cls: type[Any]) -> dict[str, Setting]:
    found: tuple[Field[Any], ...] = fields(cls)
    return {item.name: item.metadata["setting"] for item in found}


def read_settings(cls: type[T], data: Any, where: str) -> T:
    """An instance of ``cls`` from a JSON-like mapping, each given field read as its ``Setting`` says;
    unknown keys and bad values raise ValueError naming them. Keys not given keep their defaults."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be an object")
    settings = _settings_of(cls)
    unknown = sorted(str(key) for key in set(data) - set(settings))
    if unknown:
        raise ValueError(f"{where}: unknown fields: {', '.join(unknown)}")
    values = {
        key: setting.parse(data[key], key)
        for key, setting in settings.items()
        if key in data and not (data[key] is None and setting.null_is_default)
    }
    return cls(**values)


@dataclass(frozen=True)
class QueuedFault:
    """A one-shot fault for the next ``times`` API requests matching ``method`` and ``path``.

    ``path`` is a regular expression searched (``re.search``) in the request path. ``when="before"``
    answers without processing; ``"after"`` processes the request, then replaces or loses the answer.
    """

    status: int | None = _setting(None, _integer(100, 599, nullable=True))
    retry_after: int | None = _setting(None, _integer(0, 86_400, nullable=True))
    drop: bool = _setting(False, _boolean)
    delay_ms: int = _setting(0, _integer(0, MAX_DELAY_MS))
    times: int = _setting(1, _integer(1, 1_000_000))
    method: str | None = _setting(None, _method)
    path: str | None = _setting(None, _path_pattern)
    when: When = _setting("before", _when)  # noqa: RUF009 (_setting returns a dataclass field)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QueuedFault:
        return read_settings(cls, data, "queued fault")

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None


@dataclass(frozen=True)
class ItemFailure:
    """Force one item of a bulk call to fail; matched by ``device_id`` or ``external_device_id``.

    ``times=None`` fails the item every time; a number fails it that many times, then lets it pass.
    """

    status_code: int = _setting(500, _integer(100, 599))
    error_message: str = _setting("injected item failure", _text(nullable=False))
    external_device_id: str | None = _setting(None, _text(nullable=True))
    device_id: int | None = _setting(None, _integer(1, MAX_ID, nullable=True))
    times: int | None = _setting(None, _integer(1, 1_000_000, nullable=True))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemFailure:
        failure = read_settings(cls, data, "item failure")
        if failure.external_device_id is None and failure.device_id is None:
            raise ValueError("item failure needs an external_device_id or a device_id to match")
        return failure

    def matches(self, external_device_id: str | None, device_id: int | None) -> bool:
        if self.device_id is not None and device_id == self.device_id:
            return True
        return self.external_device_id is not None and external_device_id == self.external_device_id


@dataclass(frozen=True)
class FaultSettings:
    """The whole fault configuration; the default injects nothing.

    ``error_rate`` answers that share of API requests, unprocessed, with a random one of
    ``error_statuses`` (5xx), or with ``error_status`` when that list is empty. ``rate_limit_rate``
    answers 429 with ``Retry-After: retry_after``. Every request waits ``latency_ms``, and a share
    ``latency_spike_rate`` of them ``latency_spike_ms`` more. ``drop_rate`` closes the connection
    before processing; ``drop_after_rate`` processes the request, then closes the connection without
    an answer (a create that happened, whose answer the client never sees). ``item_failure_rate``
    fails that share of bulk items (create, update, delete) alone, unapplied, with a random one of
    ``item_failure_statuses``; ``item_failures`` force given items to fail.

    Each field states how it is read, and the help of its ``--fault-*`` flag (``command_line_flags``).
    """

    error_rate: float = _setting(
        0.0, _rate, flag="share of requests answered with an error", metavar="R", flag_type=float
    )
    error_status: int = _setting(
        503, _integer(400, 599), flag="status of those errors (503)", metavar="STATUS", flag_type=int
    )
    error_statuses: tuple[int, ...] = _setting(
        (),
        _statuses(500, 599),
        null_is_default=True,
        flag="5xx statuses to pick from at random instead (e.g. 500,502,503,504)",
        metavar="S,S",
        flag_type=status_codes,
    )
    rate_limit_rate: float = _setting(
        0.0, _rate, flag="share of requests answered 429", metavar="R", flag_type=float
    )
    retry_after: int = _setting(
        1, _integer(0, 86_400), flag="Retry-After seconds of a 429", metavar="S", flag_type=int
    )
    latency_ms: int = _setting(
        0, _integer(0, MAX_DELAY_MS), flag="delay added to every API request", metavar="MS", flag_type=int
    )
    latency_spike_rate: float = _setting(
        0.0, _rate, flag="share of requests delayed further", metavar="R", flag_type=float
    )
    latency_spike_ms: int = _setting(
        0, _integer(0, MAX_DELAY_MS), flag="the further delay of a spike", metavar="MS", flag_type=int
    )
    drop_rate: float = _setting(
        0.0, _rate, flag="share of connections dropped unanswered", metavar="R", flag_type=float
    )
    drop_after_rate: float = _setting(
        0.0, _rate, flag="share of requests processed, then dropped unanswered", metavar="R", flag_type=float
    )
    item_failure_rate: float = _setting(
        0.0, _rate, flag="share of bulk items failed alone", metavar="R", flag_type=float
    )
    item_failure_statuses: tuple[int, ...] = _setting(
        (500,),
        _statuses(400, 599, non_empty=True),
        null_is_default=True,
        flag="statuses of those item failures (default 500)",
        metavar="S,S",
        flag_type=status_codes,
    )
    item_failures: tuple[ItemFailure, ...] = _setting(
        (), _list_of(ItemFailure.from_dict), null_is_default=True
    )
    token_lifetime: int | None = _setting(None, _integer(0, 10**9, nullable=True))
    seed: int | None = _setting(
        None,
        _integer(-(2**63), 2**63 - 1, nullable=True),
        flag="seed of the fault rates (reproducible runs)",
        metavar="N",
        flag_type=int,
    )
    queue: tuple[QueuedFault, ...] = _setting((), _list_of(QueuedFault.from_dict), null_is_default=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FaultSettings:
        """Parse and check a JSON-like mapping; raises ``ValueError`` naming the bad field."""
        return cls() if data is None else read_settings(cls, data, "faults")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def error(self, draw: float) -> int:
        """The status of an injected error for a uniform ``draw`` in [0, 1)."""
        return pick(self.error_statuses, draw) if self.error_statuses else self.error_status


def pick(choices: tuple[int, ...], draw: float) -> int:
    """One of ``choices`` for a uniform draw in [0, 1)."""
    return choices[min(int(draw * len(choices)), len(choices) - 1)]


def command_line_flags() -> dict[str, Setting]:
    """The settings that have a ``--fault-<name>`` option (``name`` with dashes), in field order."""
    return {name: setting for name, setting in _settings_of(FaultSettings).items() if setting.flag}
