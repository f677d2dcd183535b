"""Forms that survive a slip (issue #16, point 2) and a new base for a registered admin (point 1).

A draft survives commands, stray messages and restarts and is offered back (继续填写 / 放弃)
until it expires; every step has ◀ 上一项; typed text equal to a button's label presses it; an
older button names the open step and offers to leave it; a resumed draft is checked again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.handlers import conversation
from domain.services import auth, classes, review
from domain.workflow import Status
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import fixed_clock
from tests.e2e.setup import services_of as services
from tests.e2e.test_accounts import (
    CREDIT_CODE,
    ID_NUMBER,
    PASSWORD,
    REGISTRATION_ANSWERS,
    admin,
    register,
)
from tests.e2e.test_classes import NAME, declare, stored_classes
from tests.e2e.test_roles import actor, super_admin
from tests.services.helpers import CODE_TWO

OTHER_CODE = CODE_TWO


async def answer(person: Person, values: list[str | None]) -> list[Any]:
    said: list[Any] = []
    for value in values:
        said = await (person.press("武汉市") if value is None else person.say(value))
    return said


# --- a draft kept and offered back ---------------------------------------------------------------


async def test_help_and_menu_mid_registration_keep_the_draft_which_is_offered_back(
    stack: Stack,
) -> None:
    person = admin(stack)
    await person.say("/register")
    await answer(person, REGISTRATION_ANSWERS[:3])  # name, credit code, region
    said = texts(await person.say("/help"))
    assert "可用命令" in said and "草稿已保留至" in said and "/register" in said
    assert "请先使用 /login 登录" in texts(await person.say("/menu"))
    assert "没有理解" in texts(await person.say("随便说一句"))  # no form open any more

    offer = texts(await person.say("/register"))
    assert "您有一份未完成的“注册继续教育基地”：已填写 3 项" in offer
    assert person.buttons() == ["继续填写", "放弃，重新开始"]
    assert "请输入机构详细地址" in texts(await person.press("继续填写"))
    await answer(person, REGISTRATION_ANSWERS[3:])
    assert "注册成功" in texts(await person.press("确认注册"))
    assert "开始注册" in texts(await person.say("/register"))  # the draft is gone once saved


async def test_a_draft_survives_a_restart_and_discarding_it_starts_afresh(stack: Stack) -> None:
    person = admin(stack)
    await person.say("/register")
    await answer(person, REGISTRATION_ANSWERS[:5])
    await person.say("/start")
    await stack.restart()
    assert "已填写 5 项" in texts(await person.say("/register"))
    fresh = texts(await person.press("放弃，重新开始"))
    assert "已放弃草稿" in fresh and "开始注册" in fresh and "请输入机构名称" in fresh
    assert "当前" not in fresh


async def test_a_draft_expires_after_three_days_also_after_a_restart(stack: Stack) -> None:
    person = admin(stack)
    await person.say("/register")
    await answer(person, REGISTRATION_ANSWERS[:4])
    await person.say("/menu")
    await stack.restart()
    fixed_clock(stack).advance(timedelta(days=3, minutes=1))
    said = texts(await person.say("/register"))
    assert "已超过三天未修改，已自动放弃" in said
    assert "开始注册" in said and "已填写" not in said


async def test_a_step_left_open_by_a_restart_ends_after_half_an_hour(stack: Stack) -> None:
    """python-telegram-bot's time-out lives in memory: after a restart the sweep ends the step."""
    person = admin(stack)
    await person.say("/register")
    await answer(person, REGISTRATION_ANSWERS[:2])
    await stack.restart()
    fixed_clock(stack).advance(timedelta(minutes=31))
    said = texts(await person.say("武汉市"))
    assert "长时间未继续，已结束" in said and "草稿已保留至" in said
    assert "所在市州：武汉市" not in said  # not taken as the answer of a step left long ago
    assert "已填写 2 项" in texts(await person.say("/register"))
    assert "请选择所在市州" in texts(await person.press("继续填写"))


async def test_a_silent_step_times_out_and_keeps_the_draft(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conversation, "TIMEOUT", timedelta(seconds=2))
    await stack.restart()  # the conversations are built again, with the shortened time-out
    person = admin(stack)
    await person.say("/register")
    await answer(person, REGISTRATION_ANSWERS[:2])
    notice = await person.user.wait_for_bot_message(contains="已暂停", timeout=15)
    assert "草稿已保留至" in (notice.text or "")
    assert "已填写 2 项" in texts(await person.say("/register"))


async def test_cancel_drops_the_draft_for_good(stack: Stack) -> None:
    person = admin(stack)
    await person.say("/register")
    await answer(person, REGISTRATION_ANSWERS[:2])
    assert "已取消" in texts(await person.say("/cancel"))
    assert "开始注册" in texts(await person.say("/register"))


# --- ◀ 上一项 ------------------------------------------------------------------------------------


async def test_back_walks_the_registration_backwards_and_keeps_what_was_typed(
    stack: Stack,
) -> None:
    person = admin(stack)
    await person.say("/register")
    assert "上一项" not in " ".join(person.buttons())  # the first step has none
    await answer(person, REGISTRATION_ANSWERS[:3])  # now at the address
    asked = texts(await person.press("上一项"))
    assert "请选择所在市州" in asked and "（当前：武汉市）" in asked
    asked = texts(await person.press("上一项"))
    assert "统一社会信用代码" in asked and f"（当前：{CREDIT_CODE}）" in asked
    assert "请选择所在市州" in texts(await person.say(CREDIT_CODE))  # on again, in order
    await person.press("武汉市")
    await answer(person, REGISTRATION_ANSWERS[3:10])  # up to the first password
    assert "再次输入密码" in person.last_text()
    assert "请设置登录密码" in texts(await person.press("上一项"))  # from the repeat
    asked = texts(await person.press("上一项"))
    assert "手机号码" in asked and "（当前：13812345678）" in asked
    await person.say("13812345678")
    await person.say(PASSWORD)
    summary = texts(await person.say(PASSWORD))
    assert "请核对注册信息" in summary and "管理员手机号码：13812345678" in summary
    await person.press("修改联系人")
    assert "请核对注册信息" in texts(await person.press("上一项"))  # a correction goes back
    assert "注册成功" in texts(await person.press("确认注册"))


async def test_back_in_a_class_declaration_skips_the_location_of_an_online_class(
    stack: Stack,
) -> None:
    alice = await super_admin(stack)
    await alice.say("/classes")
    await alice.press("申报培训班")
    await alice.say(NAME)
    await alice.press("2026")
    await alice.press("专业科目")
    assert "请输入开始日期" in texts(await alice.press("线上"))
    assert "请选择培训方式" in texts(await alice.press("上一项"))
    await alice.press("线上")
    await alice.say("2026-03-01")
    assert "学时" in texts(await alice.say("2026-03-03"))  # online: no location asked
    asked = texts(await alice.press("上一项"))
    assert "结束日期" in asked and "（当前：2026-03-03）" in asked
    assert "学时" in texts(await alice.say("2026-03-04"))


# --- typed labels ------------------------------------------------------------------------------


async def test_typing_a_label_presses_it_on_every_screen(stack: Stack) -> None:
    """确认 at the registration's summary, a region's name, the menu's entries, 保存 at the
    class summary and a year: one mechanism, whatever the screen."""
    person = admin(stack)
    await person.say("/register")
    await answer(person, REGISTRATION_ANSWERS[:2])
    assert "所在市州：恩施土家族苗族自治州" in texts(await person.say("恩施"))
    await answer(person, REGISTRATION_ANSWERS[3:])
    assert "注册成功" in texts(await person.say("确认"))

    await person.say("/menu")
    listing = texts(await person.say("培训班管理"))
    assert "培训班" in listing and "申报培训班" in person.buttons()
    assert "请输入培训班名称" in texts(await person.say("申报培训班"))
    await person.say(NAME)
    assert "请选择培训类别" in texts(await person.say("2026"))
    assert "请选择培训方式" in texts(await person.say("专业科目"))
    assert "请输入开始日期" in texts(await person.say("线下"))
    assert "请选择培训方式" in texts(await person.say("上一项"))  # ◀ 上一项, typed
    await person.say("线下")
    await person.say("2026-03-01")
    await person.say("2026/3/3")
    for value in ("武汉市洪山区珞喻路 1 号", "24", "120", "0", "全省专业技术人员"):
        await person.say(value)
    await person.say("跳过")
    await person.say("第一天 政策解读")
    assert "已保存为草稿" in texts(await person.say("保存"))
    (saved,) = await stored_classes(stack)
    assert saved.name == NAME and saved.status is Status.DRAFT


async def test_a_typed_label_of_an_older_screen_is_plain_text(stack: Stack) -> None:
    person = admin(stack)
    await register(person)
    await person.press("确认注册")
    await person.say("/menu")
    await person.say("/help")  # a screen without buttons
    assert "没有理解" in texts(await person.say("培训班管理"))


# --- an older button while a step waits ----------------------------------------------------------


async def test_an_older_button_names_the_open_step_and_offers_to_leave(stack: Stack) -> None:
    person = admin(stack)
    await person.say("/language")
    await person.say("/register")
    await answer(person, REGISTRATION_ANSWERS[:4])  # now at the contact person
    said = texts(await person.press("English"))  # a keyboard further up the chat
    assert "您正在填写“注册继续教育基地”，当前这一步：联系人" in said
    assert person.buttons() == ["重新显示这一步", "离开（草稿保留）"]
    assert "已失效" in (person.user.callback_answers[-1].text or "")
    assert "请输入联系人姓名" in texts(await person.press("重新显示这一步"))
    await person.press("English")
    left = texts(await person.press("离开"))
    assert "已离开当前操作" in left and "草稿已保留至" in left
    assert "已填写 4 项" in texts(await person.say("/register"))


async def test_an_older_back_button_is_an_older_button(stack: Stack) -> None:
    person = admin(stack)
    await person.say("/register")
    await answer(person, REGISTRATION_ANSWERS[:2])
    back_on_credit_code = person.user.bot_messages()[-2]  # the credit code's prompt
    assert back_on_credit_code.reply_markup is not None
    await person.press("武汉市")
    data = back_on_credit_code.reply_markup.buttons[0].callback_data
    said = texts(await person.press_data(back_on_credit_code.message_id, data))
    assert "当前这一步：详细地址" in said


# --- a resumed draft is checked again ------------------------------------------------------------


async def test_a_resumed_registration_asks_again_for_a_credit_code_registered_meanwhile(
    stack: Stack,
) -> None:
    slow = admin(stack, user_id=2002)
    await slow.say("/register")
    await answer(slow, REGISTRATION_ANSWERS[:4])
    await slow.say("/help")
    fast = admin(stack)
    await register(fast)
    await fast.press("确认注册")  # the same credit code, registered first
    await slow.say("/register")
    said = texts(await slow.press("继续填写"))
    assert "该统一社会信用代码已注册" in said and "请输入统一社会信用代码" in said
    assert "请选择所在市州" not in said
    summary = texts(await slow.say(OTHER_CODE))
    assert "请输入联系人姓名" in summary  # on from where the draft was


async def test_a_resumed_class_edit_is_refused_once_the_class_was_submitted(stack: Stack) -> None:
    alice = await super_admin(stack)
    await declare(alice)
    await alice.press("保存为草稿")
    await alice.press("修改")
    await alice.press("修改学时")
    await alice.say("/menu")  # the draft of the edit is kept
    (saved,) = await stored_classes(stack)
    svc = services(stack)
    who = await actor(stack, 1001)
    async with svc.uow() as uow:
        await classes.submit_class(uow, svc.clock, who, saved.id)
    await alice.say("/classes")
    assert "您有一份未完成的“申报或修改培训班”" in texts(await alice.press("申报培训班"))
    said = texts(await alice.press("继续填写"))
    assert "待审核" in said and "草稿已放弃" in said
    (after,) = await stored_classes(stack)
    assert after.status is Status.SUBMITTED and after.hours == saved.hours
    await alice.say("/classes")
    assert "请输入培训班名称" in texts(await alice.press("申报培训班"))  # no draft any more


async def test_a_class_draft_is_not_resumed_by_another_base(stack: Stack) -> None:
    """One Telegram account, two bases: a draft of one is not saved into the other."""
    alice = await super_admin(stack)
    await alice.say("/classes")
    await alice.press("申报培训班")
    await alice.say(NAME)
    await alice.say("/menu")
    await register_second_base(alice)
    assert "共 2 个" in texts(await alice.press("确认注册"))
    await alice.say("/classes")
    await alice.press("申报培训班")
    said = texts(await alice.press("继续填写"))
    assert "属于另一个基地或账号" in said
    assert await stored_classes(stack) == []


# --- /register by an admin of another base ------------------------------------------------------


SECOND_BASE = ["宜昌继续教育中心", OTHER_CODE, None, "宜昌市西陵区 8 号", "张伟", "0717-6543210"]


async def register_second_base(person: Person, password: str = PASSWORD) -> list[Any]:
    await person.say("/register")
    if "未完成" in person.last_text():
        await person.press("放弃")
    await answer(person, SECOND_BASE)
    await person.say("王芳")
    asked = texts(await person.say(ID_NUMBER))
    assert "请输入该账号的登录密码" in asked
    return await person.say(password)


async def test_an_admin_of_one_base_registers_another_with_their_password(stack: Stack) -> None:
    alice = await super_admin(stack)
    await alice.say("/logout")
    summary = texts(await register_second_base(alice))
    assert "身份已确认：王芳" in summary and "已有账号（已确认身份）" in summary
    assert "修改密码" not in alice.buttons() and "修改管理员手机号码" not in alice.buttons()
    proof = next(m for m in alice.user.messages if not m.from_bot and m.text == PASSWORD)
    assert proof.deleted
    done = texts(await alice.say("确认"))
    assert "“宜昌继续教育中心”已创建并加入您管理的基地（共 2 个）" in done
    await alice.say("/base")
    assert {"武汉职业培训学院", "宜昌继续教育中心"} <= set(alice.buttons())
    await alice.press("宜昌继续教育中心")
    await alice.say("/audit")
    assert "以已有账号注册新基地 宜昌继续教育中心" in texts(await alice.say("/audit"))
    svc = services(stack)
    async with svc.uow(readonly=True) as uow:
        user = await uow.users.get_by_id_number(ID_NUMBER)
        assert user is not None
        assert len(await uow.memberships.list_for_user(user.id or 0)) == 2


async def test_a_wrong_password_counts_as_at_login_and_five_lock(stack: Stack) -> None:
    alice = await super_admin(stack)
    refused = texts(await register_second_base(alice, password="不是我的密码啊"))
    assert "密码不正确" in refused
    svc = services(stack)
    async with svc.uow(readonly=True) as uow:
        user = await uow.users.get_by_id_number(ID_NUMBER)
        assert user is not None and user.failed_logins == 1
    for _ in range(3):
        assert "密码不正确" in texts(await alice.say("还是不对的密码"))
    assert "已锁定" in texts(await alice.say("还是不对的密码"))
    assert "已锁定" in texts(await alice.say(PASSWORD))  # even the right one, while locked
    await alice.say("/cancel")
    assert "已锁定" in texts(await login_again(alice))
    async with svc.uow(readonly=True) as uow:
        assert await uow.bases.get_by_credit_code(OTHER_CODE) is None


async def login_again(person: Person) -> list[Any]:
    await person.say("/login")
    await person.say(ID_NUMBER)
    return await person.say(PASSWORD)


async def test_a_reviewers_id_number_cannot_register_a_base(stack: Stack) -> None:
    svc = services(stack)
    async with svc.uow() as uow:
        await review.create_reviewer(
            uow,
            svc.hasher,
            svc.clock,
            name="周审核",
            id_number=ID_NUMBER,
            mobile="13600000000",
            initial_password="审核员的初始密码 1",
        )
    person = admin(stack, user_id=4004)
    await person.say("/register")
    await answer(person, SECOND_BASE)
    await person.say("周审核")
    said = texts(await person.say(ID_NUMBER))
    assert "主管部门审核员的账号" in said and "登录密码" not in said
    assert "手机号码" in texts(await person.say("420106199001011231"))  # another number goes on


async def test_an_admin_cannot_register_a_credit_code_already_registered(stack: Stack) -> None:
    alice = await super_admin(stack)
    await alice.say("/register")
    await alice.say("另一个名字")
    said = texts(await alice.say(CREDIT_CODE))  # alice's own first base
    assert "该统一社会信用代码已注册" in said


async def test_a_proof_goes_stale_when_the_password_changes_before_confirming(
    stack: Stack,
) -> None:
    alice = await super_admin(stack)
    await register_second_base(alice)
    await alice.say("/menu")  # the draft, proof included, is kept
    fixed_clock(stack).advance(timedelta(minutes=5))
    svc = services(stack)
    async with svc.uow() as uow:
        await auth.change_password(
            uow,
            svc.hasher,
            svc.clock,
            telegram_user_id=1001,
            old_password=PASSWORD,
            new_password="黄鹤楼上看日出东方",
            new_password_again="黄鹤楼上看日出东方",
            policy=svc.session_policy,
        )
    await alice.say("/register")
    said = texts(await alice.press("继续填写"))
    assert "请输入该账号的登录密码" in said
    async with svc.uow(readonly=True) as uow:
        assert await uow.bases.get_by_credit_code(OTHER_CODE) is None
