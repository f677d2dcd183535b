"""The pacer in virtual time: 30/s overall, about 1/s per chat, holds after a 429."""

from __future__ import annotations

import asyncio
import itertools

from scheduler.pacing import Pacer


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def sent_at(pacer: Pacer, time: VirtualTime, chats: list[int]) -> list[float]:
    moments = []
    for chat in chats:
        await pacer.turn(chat)
        moments.append(time.now)
    return moments


async def test_many_chats_go_at_the_overall_rate() -> None:
    time = VirtualTime()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    moments = await sent_at(pacer, time, list(range(290)))
    assert moments[0] == 0.0
    assert 9.9 < moments[-1] < 10.1  # 290 messages at 29/s: ten seconds
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    assert min(gaps) >= 1 / 29 - 1e-9


async def test_one_chat_gets_about_one_a_second_and_others_are_not_held_up() -> None:
    time = VirtualTime()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    moments = await sent_at(pacer, time, [7, 7, 7])
    assert [round(m, 2) for m in moments] == [0.0, 1.05, 2.1]
    other = Pacer(clock=time.clock, sleep=time.sleep)
    start = time.now
    moments = await sent_at(other, time, [1, 2, 3])
    assert [round(m - start, 6) for m in moments] == [0.0, round(1 / 29, 6), round(2 / 29, 6)]


async def test_a_retry_after_holds_that_chat_or_everyone() -> None:
    time = VirtualTime()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    pacer.hold(5, 10)
    await pacer.turn(6)
    assert time.now < 0.1
    await pacer.turn(5)
    assert time.now >= 10
    pacer.hold_all(3)
    before = time.now
    await pacer.turn(8)
    assert time.now >= before + 3
