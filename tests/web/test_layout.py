"""The stand as it looks on an iPad, both ways round, and on a laptop: nothing cut off or on top."""

from __future__ import annotations

from playwright.async_api import FloatRect, Locator, expect

from tests.conftest import Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import OpenStand


async def _box(locator: Locator) -> FloatRect:
    box = await locator.bounding_box()
    assert box is not None, f"{locator} is not on screen"
    return box


async def test_the_floor_follows_the_plan_of_each_section(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    for label, x, y in (("1", 1, 1), ("2", 2, 1), ("3", 1, 2), ("4", 4, 2)):
        await bistro.table(label, capacity=4, section="Main", x=x, y=y)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])

    one, two, three, four = [await _box(stand.table(label)) for label in "1234"]
    assert three["y"] > one["y"] + one["height"], "table 3 stands behind table 1"
    assert three["x"] == one["x"], "table 3 stands behind table 1"
    assert two["x"] > one["x"] + one["width"] and two["y"] == one["y"]
    assert four["y"] == three["y"] and four["x"] > two["x"] + two["width"], "a gap for x=3"
