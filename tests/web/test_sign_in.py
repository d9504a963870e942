"""The sign-in form: its hint for a host without a token holds after `make run`; its refusals."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from subprocess import PIPE

from playwright.async_api import expect

from tests.commands import clean_env, sqlite_url
from tests.servers import ThreadServer
from tests.web.conftest import OpenStand

REPO = Path(__file__).resolve().parents[2]
# A shell as `make run` leaves it: the virtualenv it made is not on PATH.
PLAIN_PATH = "/usr/local/bin:/usr/bin:/bin"


async def test_the_sign_in_hint_names_commands_that_print_a_token_after_make_run(
    web_server: ThreadServer, open_stand: OpenStand, tmp_path: Path
) -> None:
    stand = await open_stand(web_server.base_url)
    hint = stand.page.locator("#signin-form .hint")
    await expect(hint).to_be_visible()
    commands = await hint.locator("code").all_inner_texts()

    others = [command for command in commands if command != "make run"]
    assert others, "a command that prints a token"
    for command in others:
        env = clean_env(PATH=PLAIN_PATH, HOSTSTAND_DATABASE_URL=sqlite_url(tmp_path / "demo.db"))
        shell = await asyncio.create_subprocess_exec(
            "bash", "-c", command, cwd=REPO, env=env, stdout=PIPE, stderr=PIPE
        )
        out, err = await asyncio.wait_for(shell.communicate(), timeout=60)
        assert shell.returncode == 0, f"{command!r} in the repository: {err.decode()}"
        stdout = out.decode()
        assert re.search(r"host token    : hs_\S+", stdout), stdout
    assert "make run" in commands, "make run printed one: the first place to look"
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^run:.*\n\t\$\(BIN\)/hoststand serve --demo$", makefile, re.M)


async def test_a_refused_tokens_error_goes_as_soon_as_the_token_is_edited(
    web_server: ThreadServer, open_stand: OpenStand
) -> None:
    stand = await open_stand(web_server.base_url)
    token = stand.page.get_by_label("Access token")
    error = stand.page.locator("#signin-error")
    await token.fill("hs_not-a-token")
    await stand.page.get_by_role("button", name="Sign in").click()
    await expect(error).to_have_text("That token is not valid (or it was revoked).")

    await token.press_sequentially("x")
    await expect(error).to_have_text("")
