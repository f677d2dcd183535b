"""The operator's reviewer accounts through the chat (issue 16): a deactivated reviewer cannot log
in and their open step ends politely; activated again, they can; a reset gives a one-time
password; a deactivated reviewer's password is not reset."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from domain.errors import Conflict
from domain.services import admins, review
from domain.workflow import Status
from storage.models import AuditEventRow
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import services_of, sql_units
from tests.e2e.test_review import (
    CHANGED,
    CLASS_ONE,
    ID_WUHAN_REVIEWER,
    class_status,
    registered_boss,
    reviewer,
    submitted_class,
)


async def operator(stack: Stack, action: str, **extra: object) -> object:
    """What ``cebot reviewer <action>`` does, in one unit of work on the bot's database."""
    svc = services_of(stack)
    async with svc.uow() as uow:
        found = await review.find_reviewer(uow, svc.clock, id_number=ID_WUHAN_REVIEWER)
        if action == "deactivate":
            return await review.deactivate_reviewer(uow, svc.clock, found)
        if action == "activate":
            return await review.activate_reviewer(uow, svc.clock, found)
        if action == "regions":
            regions = extra["regions"]
            assert isinstance(regions, list)
            return await review.set_regions(uow, svc.clock, found, regions)
        return await review.reset_reviewer_password(uow, svc.hasher, svc.clock, found)


async def test_a_deactivated_reviewer_mid_return_is_ended_politely_and_cannot_log_in(
    stack: Stack,
) -> None:
    await registered_boss(stack)
    class_id = await submitted_class(stack, CLASS_ONE)
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("培训班（1）")
    await checker.press(CLASS_ONE)
    assert "退回原因" in texts(await checker.press("退回"))

    assert await operator(stack, "deactivate") == 1  # the one open session ended
    ended = texts(await checker.say("培训学时不符"))
    assert "退回未执行" in ended and "登录" in ended
    assert await class_status(stack, class_id) is Status.SUBMITTED
    assert "没有理解" in texts(await checker.say("再说一遍"))  # the step is over

    await checker.say("/login")
    await checker.say(ID_WUHAN_REVIEWER)
    refused = texts(await checker.say(CHANGED))
    assert "审核员账号已被停用" in refused
    assert "请先使用 /login 登录" in texts(await checker.say("/review"))

    svc = services_of(stack)
    async with svc.uow() as uow:
        found = await review.find_reviewer(uow, svc.clock, id_number=ID_WUHAN_REVIEWER)
        with pytest.raises(Conflict) as refused_reset:
            await review.reset_reviewer_password(uow, svc.hasher, svc.clock, found)
        assert "请先启用" in refused_reset.value.key
        with pytest.raises(Conflict):  # nor through ``cebot user reset-password``
            await admins.operator_reset_password(
                uow, svc.hasher, svc.clock, id_number=ID_WUHAN_REVIEWER
            )
    assert await operator(stack, "deactivate") == 0  # twice: nothing more

    assert await operator(stack, "activate") is True
    await checker.say("/login")
    await checker.say(ID_WUHAN_REVIEWER)
    assert "审核员" in texts(await checker.say(CHANGED))
    assert "共 1 项" in texts(await checker.say("/review"))

    assert await operator(stack, "regions", regions=["宜昌"]) == ("宜昌市",)
    assert "目前没有待审核的事项" in texts(await checker.say("/review"))  # at once

    one_time = await operator(stack, "reset-password")
    assert isinstance(one_time, str)
    assert "登录" in texts(await checker.say("/review"))  # every session ended
    await checker.say("/login")
    await checker.say(ID_WUHAN_REVIEWER)
    assert "初始密码" in texts(await checker.say(one_time))
    async with sql_units(stack)(readonly=True) as uow:
        statement = select(AuditEventRow.action).where(
            AuditEventRow.base_id.is_(None), AuditEventRow.action.startswith("reviewer.")
        )
        actions = list(await uow.session.scalars(statement.order_by(AuditEventRow.id)))
    assert actions == [
        "reviewer.create",
        "reviewer.deactivate",
        "reviewer.activate",
        "reviewer.regions",
        "reviewer.reset_password",
    ]
