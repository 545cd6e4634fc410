"""The request budget: its decisions under many seeded schedules of a simulated clock, then the thin
threaded shell, then the budget where every request passes (token requests, re-sends, 429 holds)."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from typing import Any

import pytest

from pulumi_chekt.api import ChektClient, ClientCredentials
from pulumi_chekt.api.budget import MAX_HOLD_SECONDS, NOT_YET, BudgetState, RequestBudget
from tests.api.conftest import FAST_RETRIES
from tests.conftest import CLIENT_ID, CLIENT_SECRET

EPS = 1e-6


@dataclass
class Admission:
    ticket: int
    arrived: float
    at: float


def simulate(
    seed: int, per_minute: float | None, requests: int, holds: int
) -> tuple[BudgetState, list[Admission], list[tuple[float, float]], list[float]]:
    """Drive BudgetState like the threaded shell does, on a simulated clock: requests arrive at random
    times (in bursts and lulls), each waiter asks again when told (or when the line moves), and 429s
    with random Retry-After values arrive at random times. Returns the admissions in order."""
    rng = random.Random(seed)
    state = BudgetState.start(per_minute, 0.0)
    clock = 0.0
    arrivals: list[float] = []
    for _ in range(requests):
        clock += rng.choice([0.0, 0.0, rng.uniform(0, 0.05), rng.uniform(0, 2.0)])
        arrivals.append(clock)
    hold_events = sorted(
        (rng.uniform(0, clock + 5), rng.choice([0.0, 0.5, 1.0, 3.0, 120.0])) for _ in range(holds)
    )
    waiting: dict[int, float] = {}  # ticket -> time to ask again
    arrived: dict[int, float] = {}
    admitted: list[Admission] = []
    next_arrival, next_hold, now = 0, 0, 0.0
    while len(admitted) < requests:
        candidates = [waiting[t] for t in waiting if waiting[t] != NOT_YET]
        if next_arrival < requests:
            candidates.append(arrivals[next_arrival])
        if next_hold < len(hold_events):
            candidates.append(hold_events[next_hold][0])
        now = max(now, min(candidates))
        if next_hold < len(hold_events) and hold_events[next_hold][0] <= now:
            state.hold(now, hold_events[next_hold][1])
            next_hold += 1
            waiting = {t: now for t in waiting}  # notify_all: everyone re-evaluates
            continue
        if next_arrival < requests and arrivals[next_arrival] <= now:
            ticket = state.ticket()
            arrived[ticket] = now
            waiting[ticket] = now
            next_arrival += 1
            continue
        due = [t for t in waiting if waiting[t] <= now]
        rng.shuffle(due)  # threads wake in any order
        for ticket in due:
            answer = state.admit(ticket, now)
            if answer is None:
                admitted.append(Admission(ticket, arrived[ticket], now))
                del waiting[ticket]
                waiting = {t: now for t in waiting}  # notify_all
                break
            assert answer > now or answer == NOT_YET, "a waiter told to ask again now would spin"
            waiting[ticket] = answer
    return state, admitted, [(at, min(s, MAX_HOLD_SECONDS)) for at, s in hold_events[:next_hold]], arrivals


@pytest.mark.parametrize("seed", range(300))
def test_under_seeded_schedules_the_budget_is_fair_bounded_and_never_idle_without_cause(seed: int) -> None:
    rng = random.Random(seed * 7919)
    per_minute = rng.choice([None, 6, 60, 100, 600, 3000])
    state, admitted, holds, _ = simulate(
        seed, per_minute, requests=rng.randint(1, 60), holds=rng.randint(0, 3)
    )

    # Fair: first come, first served.
    assert [a.ticket for a in admitted] == sorted(a.ticket for a in admitted)
    # Nobody is let through during a 429's hold.
    for at, seconds in holds:
        assert not [a for a in admitted if at + EPS < a.at < at + seconds - EPS]
    # A reference bucket, computed independently from the admissions and the 429s in time order:
    # it never goes below zero (the limit holds), and whenever a request waited longer than the
    # line ahead of it, it went at the very moment its cause ended (a token became due, or a hold).
    rate = math.inf if per_minute is None else per_minute / 60
    capacity = math.inf if per_minute is None else max(1.0, rate)
    events = sorted(
        [(a.at, 1, a) for a in admitted] + [(at, 0, (at, s)) for at, s in holds], key=lambda e: (e[0], e[1])
    )
    tokens, last, previous_at, held_until = capacity, 0.0, -math.inf, -math.inf
    for at, kind, payload in events:
        if per_minute is not None:
            tokens = min(capacity, tokens + (at - last) * rate)
        last = at
        if kind == 0:
            tokens = 0.0 if per_minute is not None else tokens
            held_until = max(held_until, at + payload[1])
            continue
        admission: Admission = payload
        assert tokens >= 1 - EPS, f"over the limit at {at}"
        ready = max(admission.arrived, previous_at)
        if admission.at > ready + EPS:
            waited_for_token = per_minute is not None and abs(tokens - 1) < 1e-6
            waited_for_hold = abs(admission.at - held_until) < EPS
            assert waited_for_token or waited_for_hold, f"idle without cause before {admission.at}"
        if per_minute is not None:
            tokens -= 1
        previous_at = admission.at
    assert state.serving == state.next_ticket  # nobody left in line


def test_a_cancelled_waiter_does_not_block_the_line() -> None:
    state = BudgetState.start(60, 0.0)
    first, second, third = state.ticket(), state.ticket(), state.ticket()
    assert state.admit(first, 0.0) is None
    assert state.admit(third, 0.0) == NOT_YET
    state.cancel(second)
    assert state.admit(third, 0.0) == pytest.approx(1.0)  # next token due in one second
    assert state.admit(third, 1.0) is None


def test_without_a_limit_only_a_hold_stops_anyone() -> None:
    state = BudgetState.start(None, 0.0)
    assert all(state.admit(state.ticket(), 0.0) is None for _ in range(1000))
    state.hold(5.0, 2.0)
    ticket = state.ticket()
    assert state.admit(ticket, 5.5) == 7.0
    assert state.admit(ticket, 7.0) is None
    state.hold(8.0, 3600.0)
    assert state.admit(state.ticket(), 8.0) == 8.0 + MAX_HOLD_SECONDS


def test_the_burst_is_one_seconds_worth_at_least_one_request() -> None:
    assert BudgetState.start(60, 0.0).capacity == 1
    assert BudgetState.start(600, 0.0).capacity == 10
    assert BudgetState.start(6, 0.0).capacity == 1
    with pytest.raises(ValueError, match="positive"):
        BudgetState.start(0, 0.0)


# --- the threaded shell --------------------------------------------------------------------------


def test_threads_share_one_budget_and_every_request_goes_within_the_limit() -> None:
    budget = RequestBudget(per_minute=6000)  # 100 a second: 80 requests take under a second
    times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            at = budget.acquire()
            with lock:
                times.append(at)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(times) == 80
    times.sort()
    for i, start in enumerate(times):  # the bucket's bound, on the times the budget decided on
        for j in range(i, len(times)):
            assert j - i + 1 <= 100 + (times[j] - start) * 100 + 1e-6


def test_a_hold_keeps_every_thread_back_until_it_ends() -> None:
    budget = RequestBudget()  # no limit: only the hold applies
    budget.acquire()
    held_from = budget.acquire()
    budget.hold(0.3)
    results: list[float] = []
    threads = [threading.Thread(target=lambda: results.append(budget.acquire())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 4
    assert min(results) >= held_from + 0.3


# --- where every request passes ----------------------------------------------------------------------


class CountingBudget(RequestBudget):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent = 0
        self.holds: list[float] = []

    def acquire(self) -> float:
        self.sent += 1
        return super().acquire()

    def hold(self, seconds: float) -> None:
        self.holds.append(seconds)
        super().hold(seconds)


def _client(server: Any, budget: RequestBudget) -> ChektClient:
    auth = ClientCredentials(
        CLIENT_ID, CLIENT_SECRET, server.token_url, retry=FAST_RETRIES, sleep=lambda _: None, budget=budget
    )
    return ChektClient(auth, base_url=server.url, retry=FAST_RETRIES, sleep=lambda _: None, budget=budget)


def test_token_requests_retries_and_re_sends_all_pass_the_budget(server: Any, admin: Any) -> None:
    budget = CountingBudget()
    with _client(server, budget) as client:
        client.list_devices(2, 3)
        assert budget.sent == 2  # the token request and the list
        admin.queue_fault(status=503, times=1)
        client.list_devices(2, 3)
        assert budget.sent == 4  # the 503 and its retry
        server.state.auth.reset()  # the token is forgotten: 401, new token, the list again
        client.list_devices(2, 3)
    assert budget.sent == 7
    assert budget.sent == admin.stats()["total"]


def test_a_429_holds_the_whole_process_for_its_retry_after(server: Any, admin: Any) -> None:
    budget = CountingBudget()
    with _client(server, budget) as client:
        client.list_devices(2, 3)
        admin.queue_fault(status=429, retry_after=1, times=1)
        client.list_devices(2, 3)  # 429, then the retry: both through the budget
        assert budget.holds == [1.0]
        released = budget.acquire()  # any other thread's next request
    assert admin.stats()["requests"]["GET /partner/v1/dealers/{dealerId}/sites/{siteId}/devices"] == 3
    assert budget._state.held_until <= released  # it went only once the hold was over
