"""``cebot console``: a scripted session through the emulator, transcripts replayed as regression
tests, recording and replaying through ``run_console``, and the real command line once."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from bot.bootstrap import Overrides
from bot.config import Settings
from bot.console import (
    console_session,
    parse_duration,
    replay_transcript,
    run_console,
    running_console,
    save_download,
)
from bot.console_transcript import Person, Transcript, TranscriptError
from domain.clock import FixedClock, SystemClock
from storage.crypto import Keyring
from storage.passwords import Argon2PasswordHasher
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = sorted((ROOT / "tests" / "transcripts").glob("*.txt"))
RECORDED = {path.name: Transcript.loads(path.read_text(encoding="utf-8")) for path in TRANSCRIPTS}

PASSWORD = "湖北继教 2026 春"
ID_NUMBER = "11010519491231002X"
REGISTER = [
    "/register",
    "武汉职业培训学院",
    "91350100M000100Y43",
    "1",  # the first region button: 武汉市
    "武汉市洪山区珞喻路 1 号",
    "李明",
    "027-87654321",
    "王芳",
    ID_NUMBER,
    "13812345678",
    PASSWORD,
    PASSWORD,
    "1",  # ✅ 确认注册
]
REGISTER_SESSION = ["/start", *REGISTER, "/menu", "/logout", "/menu"]
MENU_ENTRIES = (
    "继续教育机构信息管理",
    "权限管理",
    "角色管理",
    "培训班管理",
    "学员成绩管理",
    "年度培训计划",
    "年度工作总结",
    "年度工作材料报送",
    "修改密码",
    "退出登录",
)
BUTTON = re.compile(r"\[(\d+)\] (\S+)")


def keyboard_at(lines: list[str], start: int) -> list[tuple[int, str]]:
    """The numbered buttons printed from ``lines[start]`` on, as (number, label)."""
    buttons: list[tuple[int, str]] = []
    for line in lines[start:]:
        if not line.startswith("  ["):
            break
        buttons.extend((int(number), label) for number, label in BUTTON.findall(line))
    return buttons


def assert_full_menu(lines: list[str], start: int) -> None:
    """The super admin's function list, its buttons numbered 1..n across rows."""
    assert lines[start : start + 2] == ["< 功能列表", "  武汉职业培训学院 · 王芳（超级管理员）"]
    buttons = keyboard_at(lines, start + 2)
    assert [number for number, _ in buttons] == list(range(1, len(buttons) + 1))
    labels = [label for _, label in buttons]
    assert set(MENU_ENTRIES) <= set(labels), labels
    assert labels[-1] == "退出登录"


@pytest.fixture
def settings(tmp_path: Path, keyring: Keyring) -> Settings:
    return Settings.from_mapping(
        {
            "CEBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cebot.db'}",
            "CEBOT_DATA_DIR": str(tmp_path / "data"),
            "CEBOT_SECRET_KEYS": keyring.to_json(),
        }
    )


@pytest.fixture
def overrides(clock: FixedClock, hasher: Argon2PasswordHasher) -> Overrides:
    return Overrides(clock=clock, hasher=hasher)


async def test_registration_session_shows_success_and_a_numbered_menu(
    settings: Settings, overrides: Overrides
) -> None:
    lines = await console_session(settings, REGISTER_SESSION, overrides=overrides)

    assert "* 按下 [1] 武汉市" in lines
    assert "< （已编辑）所在市州：武汉市" in lines
    assert "  管理员身份证号码：110***********002X" in lines
    assert "* 按下 [1] ✅ 确认注册" in lines
    success = [line for line in lines if "注册成功" in line]
    assert success == [
        "< （已编辑）注册成功！“武汉职业培训学院”已创建，您是该基地的超级管理员，已为您登录。"
    ]
    assert_full_menu(lines, lines.index("> /menu") + 1)
    assert lines[-4:] == [
        "> /logout",
        "< 您已退出登录。发送 /login 重新登录。",
        "> /menu",
        "< 请先使用 /login 登录。",
    ]
    # the ID number and both passwords were deleted from the chat and never echoed by the bot
    assert lines.count("* （您的消息已按隐私要求删除）") == 3
    shown = [line for line in lines if not line.startswith("> ")]
    assert not [line for line in shown if ID_NUMBER in line or PASSWORD in line]


async def test_register_login_transcript_is_the_record_of_that_session(
    settings: Settings, overrides: Overrides
) -> None:
    recorded = RECORDED["register_login.txt"]
    assert recorded.inputs() == REGISTER_SESSION
    assert recorded.clock == NOW

    lines = await console_session(settings, REGISTER_SESSION, overrides=overrides)

    assert lines == recorded.body


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[path.name for path in TRANSCRIPTS])
async def test_transcript_replays_without_difference(path: Path) -> None:
    recorded = RECORDED[path.name]
    assert recorded.inputs(), f"{path.name} has no inputs"

    diff = await replay_transcript(recorded, name=path.name, attach_dir=path.parent)

    assert diff == [], "\n" + "\n".join(diff)


def test_transcripts_cover_wrong_password_password_change_and_two_users() -> None:
    """The second transcript must keep exercising what it was written for."""
    text = (ROOT / "tests/transcripts/login_password.txt").read_text(encoding="utf-8")
    assert "< 身份证号码或密码不正确，还可尝试 4 次。" in text
    assert "< 密码已修改。您在其他设备或聊天中的登录已全部退出。" in text
    assert "* 现在的身份：Telegram 用户 1002" in text
    assert text.count("< 登录成功，欢迎您，王芳！") == 2


async def test_a_number_or_a_label_presses_a_button_of_the_last_message_only(
    settings: Settings, overrides: Overrides
) -> None:
    inputs = ["/start", "1", "/language", "3", "/language", "[Deutsch]"]
    inputs += ["/language", "[English]", "/language", "1"]
    lines = await console_session(settings, inputs, overrides=overrides)

    hint = "< 我没有理解这条消息。请使用下方命令或按钮操作，发送 /help 查看全部命令。"
    assert lines[lines.index("> 1") + 1] == hint  # no keyboard: sent as text
    assert lines[lines.index("> 3") + 1] == hint  # no button 3: sent as text
    assert lines[lines.index("> [Deutsch]") + 1] == hint  # no such button: sent as text
    pressed = lines.index("> [English]")
    assert lines[pressed + 1 : pressed + 3] == [
        "* 按下 [2] English",
        "< （已编辑）Language set to English.",
    ]
    assert lines[-2:] == ["* 按下 [1] 中文", "< （已编辑）语言已切换为中文。"]


async def test_each_telegram_user_has_a_chat_and_session_of_their_own(
    settings: Settings, overrides: Overrides
) -> None:
    lines = await console_session(
        settings, [*REGISTER, "/as 1002", "/menu", "/as 1001", "/menu"], overrides=overrides
    )

    other = lines.index("* 现在的身份：Telegram 用户 1002")
    assert lines[other + 1 : other + 3] == ["> /menu", "< 请先使用 /login 登录。"]
    back = lines.index("* 现在的身份：Telegram 用户 1001")
    assert lines[back + 1] == "> /menu"
    assert_full_menu(lines, back + 2)


async def test_attach_sends_the_file_as_a_document(
    settings: Settings, overrides: Overrides, tmp_path: Path
) -> None:
    (tmp_path / "计划.pdf").write_bytes(b"%PDF-1.7\n")

    lines = await console_session(
        settings,
        ["/attach 计划.pdf", "/attach 不存在.pdf", "/attach"],
        overrides=overrides,
        attach_dir=tmp_path,
    )

    assert lines == [
        "> /attach 计划.pdf",
        "< 暂不支持这种类型的消息。请发送文字或使用按钮，发送 /help 查看全部命令。",
        "> /attach 不存在.pdf",
        "* （找不到文件 file not found：不存在.pdf）",
        "> /attach",
        "* 用法：/attach 路径",
    ]


async def test_documents_the_bot_sends_are_saved_and_named(
    settings: Settings, overrides: Overrides, tmp_path: Path
) -> None:
    lines: list[tuple[str, bool]] = []
    downloads = tmp_path / "downloads"
    async with running_console(
        settings,
        lambda line, recorded: lines.append((line, recorded)),
        overrides=overrides,
        downloads=downloads,
    ) as console:
        assert console.app is not None
        for _ in range(2):
            await console.app.bot.send_document(
                1001, b"PK\x03\x04 template", filename="成绩模板.xlsx", caption="请填写后发回"
            )
        await console.settle()
        console.flush()

    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert [line for line, recorded in lines if recorded] == [
        f"< [文件] 成绩模板.xlsx（{xlsx}）",
        "  请填写后发回",
    ] * 2
    assert (downloads / "成绩模板.xlsx").read_bytes() == b"PK\x03\x04 template"
    assert (downloads / "成绩模板-2.xlsx").exists()
    saved = [line for line, recorded in lines if not recorded]
    assert saved == [
        f"* 文件已保存（saved）：{downloads / '成绩模板.xlsx'}（13 字节）",
        f"* 文件已保存（saved）：{downloads / '成绩模板-2.xlsx'}（13 字节）",
    ]


async def test_clock_command_moves_a_fixed_clock_only(
    settings: Settings, overrides: Overrides, clock: FixedClock
) -> None:
    lines = await console_session(settings, ["/clock +1d2h", "/clock soon"], overrides=overrides)
    assert clock.now() == NOW + timedelta(days=1, hours=2)
    assert lines[1] == "* 时钟拨快 1d2h（clock advanced）"
    assert lines[3] == "* 用法：/clock +30m、+2h、+1d 或 +1d2h30m"

    live = Overrides(clock=SystemClock(), hasher=overrides.hasher)
    lines = await console_session(settings, ["/clock +1h"], overrides=live)
    assert lines[1].startswith("* （只有录制和回放时时钟才是固定的")


def test_a_changed_transcript_is_reported_as_a_unified_diff(tmp_path: Path) -> None:
    path = tmp_path / "changed.txt"
    path.write_text(
        "# clock: 2026-11-29T01:00:00+00:00\n> /menu\n< 请立即登录。\n", encoding="utf-8"
    )
    out = io.StringIO()

    code = run_console(Settings.from_mapping({}), replay=str(path), stdout=out)

    assert code == 1
    report = out.getvalue()
    assert "--- " in report and "+++ " in report
    assert "-< 请立即登录。\n+< 请先使用 /login 登录。\n" in report


def test_recording_from_a_stream_replays_and_never_touches_the_configured_database(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "session.txt"
    out = io.StringIO()

    code = run_console(
        settings,
        record=str(path),
        stdin=io.StringIO("/start\n/as 1002\n/menu\n/quit\n/help\n"),
        stdout=out,
    )

    assert code == 0
    shown = out.getvalue()
    assert "cebot 控制台（console）" in shown and "/attach 路径" in shown
    assert "> /start\n< 您好！" in shown
    recorded = Transcript.loads(path.read_text(encoding="utf-8"))
    assert recorded.inputs() == ["/start", "/as 1002", "/menu"]  # /quit ends it; /help never sent
    assert recorded.body[-1] == "< 请先使用 /login 登录。"
    assert run_console(settings, replay=str(path), stdout=io.StringIO()) == 0
    assert not (tmp_path / "cebot.db").exists()


def test_the_plain_console_uses_the_configured_database(settings: Settings, tmp_path: Path) -> None:
    out = io.StringIO()

    code = run_console(settings, stdin=io.StringIO("/help\n"), stdout=out)  # ends at EOF

    assert code == 0
    assert "> /help\n< 可用命令：\n  /login 登录（身份证号码 + 密码）\n" in out.getvalue()
    assert (tmp_path / "cebot.db").exists()


def test_record_and_replay_together_are_refused(settings: Settings) -> None:
    out = io.StringIO()
    assert run_console(settings, record="a.txt", replay="b.txt", stdout=out) == 2
    assert "cannot be combined" in out.getvalue()


def test_cli_replays_a_transcript_and_exits_zero() -> None:
    path = ROOT / "tests/transcripts/register_login.txt"
    result = subprocess.run(
        [str(ROOT / ".venv/bin/cebot"), "console", "--replay", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "回放一致（replay matches）" in result.stdout


# --- the pieces ------------------------------------------------------------------------------


def test_transcript_header_round_trips_and_comments_are_not_inputs() -> None:
    text = (
        "# cebot console transcript\n"
        "# clock: 2026-12-01T02:30:00+00:00\n"
        "# timezone: Asia/Shanghai\n"
        "# user: 2002 en Li Ming\n"
        "> /start\n"
        "# a note by hand\n"
        "< hello\n"
        ">\n"
    )
    transcript = Transcript.loads(text)

    assert transcript.person == Person(2002, "en", "Li Ming")
    assert transcript.clock.isoformat() == "2026-12-01T02:30:00+00:00"
    assert transcript.inputs() == ["/start"]
    assert Transcript.loads(transcript.dumps()) == transcript


def test_a_clock_without_offset_is_refused() -> None:
    with pytest.raises(TranscriptError, match="line 1"):
        Transcript.loads("# clock: 2026-12-01T02:30:00\n> /start\n")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("+1d2h30m", timedelta(days=1, hours=2, minutes=30)),
        ("+", None),
        ("tomorrow", None),
        ("-1h", None),
    ],
)
def test_parse_duration(raw: str, expected: timedelta | None) -> None:
    assert parse_duration(raw) == expected


def test_a_download_never_overwrites(tmp_path: Path) -> None:
    first = save_download(tmp_path, "../汇总.xlsx", b"1")
    second = save_download(tmp_path, "汇总.xlsx", b"2")
    assert (first.name, second.name) == ("汇总.xlsx", "汇总-2.xlsx")
    assert first.parent == tmp_path and first.read_bytes() == b"1"
