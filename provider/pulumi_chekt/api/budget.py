"""One request budget per process: every HTTP request waits its turn, and a 429 slows everyone.

CHeKT limits each partner to a number of requests per minute. A provider process sends from several
threads at once (the engine's four calls, bulk writers), so the budget is one object that every
request passes (``transport.BudgetedAdapter``), the token endpoint included. Two parts:

- :class:`BudgetState` decides, with no clock, lock or sleep of its own: a token bucket (refilled at
  ``per_minute / 60`` a second, holding at most one second's worth, at least one request, so a burst
  never exceeds what a per-second limit allows), a first-come-first-served line of tickets (no
  thread overtakes another, none starves), and a hold: after a 429 nobody sends before its
  ``Retry-After`` has passed, and the bucket starts again from empty. It is tested under seeded
  schedules with a simulated clock (``tests/api/test_budget.py``).
- :class:`RequestBudget` is the thin threaded shell: a condition variable around the state, sleeping
  until the time the state names, woken early when the line moves or a hold arrives.

Without a limit (``per_minute=None``) the bucket never runs dry, but a 429's hold still applies.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

BURST_SECONDS = 1.0
"""The bucket holds this many seconds' worth of requests (at least one request)."""
MAX_HOLD_SECONDS = 60.0
"""A Retry-After longer than this holds the process for this long only (as ``retry.py`` caps its waits)."""
_EPSILON = 1e-9
NOT_YET = math.inf
"""``admit``'s answer to a ticket that is not first in line: wait until the line moves."""


@dataclass
class BudgetState:
    """The decisions of a request budget; times are seconds on the caller's (monotonic) clock."""

    per_minute: float | None
    tokens: float
    updated: float
    held_until: float = -math.inf
    next_ticket: int = 0
    serving: int = 0
    cancelled: set[int] = field(default_factory=set)

    @classmethod
    def start(cls, per_minute: float | None, now: float) -> BudgetState:
        """A full bucket at ``now``."""
        if per_minute is not None and per_minute <= 0:
            raise ValueError(f"a request budget needs a positive number per minute, got {per_minute!r}")
        state = cls(per_minute, 0.0, now)
        state.tokens = state.capacity
        return state

    @property
    def rate(self) -> float:
        """Requests per second (infinite without a limit)."""
        return math.inf if self.per_minute is None else self.per_minute / 60.0

    @property
    def capacity(self) -> float:
        return math.inf if self.per_minute is None else max(1.0, self.rate * BURST_SECONDS)

    def ticket(self) -> int:
        """A place at the end of the line."""
        self.next_ticket += 1
        return self.next_ticket - 1

    def admit(self, ticket: int, now: float) -> float | None:
        """None: ``ticket`` may send now (one token taken, the line moves on). Otherwise the time at which
        to ask again: when the hold ends or the next token is due, or NOT_YET while others are ahead."""
        self._refill(now)
        if ticket != self.serving:
            return NOT_YET
        if now < self.held_until:
            return self.held_until
        if self.tokens < 1.0 - _EPSILON:
            return max(now, self.updated) + (1.0 - self.tokens) / self.rate
        if self.per_minute is not None:
            self.tokens = max(0.0, self.tokens - 1.0)
        self._next_in_line()
        return None

    def cancel(self, ticket: int) -> None:
        """A waiter gave up (its thread was interrupted): its place is skipped."""
        if ticket == self.serving:
            self._next_in_line()
        elif ticket > self.serving:
            self.cancelled.add(ticket)

    def hold(self, now: float, seconds: float) -> None:
        """The server answered 429: nobody sends for ``seconds`` (capped), and the bucket is emptied, so
        sending resumes at the steady rate, not with a burst."""
        self._refill(now)
        self.held_until = max(self.held_until, now + min(max(0.0, seconds), MAX_HOLD_SECONDS))
        if self.per_minute is not None:
            self.tokens = 0.0
            self.updated = max(self.updated, now)

    def _refill(self, now: float) -> None:
        if self.per_minute is None or now <= self.updated:
            return
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def _next_in_line(self) -> None:
        self.serving += 1
        while self.serving in self.cancelled:
            self.cancelled.discard(self.serving)
            self.serving += 1


class RequestBudget:
    """Thread-safe, fair (first come, first served) gate for every HTTP request of one process."""

    def __init__(
        self, per_minute: float | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._condition = threading.Condition()
        self._state = BudgetState.start(per_minute, clock())
        self.per_minute = per_minute

    def acquire(self) -> float:
        """Block until this request may be sent; the clock's time at which it was let through."""
        with self._condition:
            ticket = self._state.ticket()
            try:
                while True:
                    now = self._clock()
                    ask_again = self._state.admit(ticket, now)
                    if ask_again is None:
                        self._condition.notify_all()  # the next in line may be able to go
                        return now
                    self._condition.wait(None if ask_again == NOT_YET else max(0.0, ask_again - now))
            except BaseException:
                self._state.cancel(ticket)
                self._condition.notify_all()
                raise

    def hold(self, seconds: float) -> None:
        """A 429 arrived: every thread waits ``seconds`` (Retry-After; 0 when the server gave none)."""
        with self._condition:
            self._state.hold(self._clock(), seconds)
            self._condition.notify_all()

    def __repr__(self) -> str:
        limit = "no limit" if self.per_minute is None else f"{self.per_minute:g}/min"
        return f"RequestBudget({limit})"
