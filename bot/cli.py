"""The ``cebot`` command line."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cebot", description="继续教育基地 Telegram 机器人")
    parser.add_argument("command", choices=["run", "console", "db"], help="what to do")
    args, _rest = parser.parse_known_args(argv)
    print(f"cebot {args.command}: not built yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
