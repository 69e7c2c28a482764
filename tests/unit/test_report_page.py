"""The report page: names from a user's file are text, never markup; the page is whole."""

import base64
import hashlib
import html
import re

from entrypoint import report, reportpage
from tests.report_kit import EVIL, manifests

FILES = {"video": "output.mp4", "poster": "output.poster.jpg", "sheet": "output.sheet.jpg"}
ATTRIBUTE_BREAK = '"><img src=x onerror=alert(2)>'


def page(ms=None, files=FILES, **options) -> str:
    model = report.build(manifests() if ms is None else ms, files=files, **options)
    return reportpage.render(model)


def test_a_script_in_a_scene_name_is_shown_as_text():
    text = page()
    assert EVIL not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("<script") == 1  # the page's own


def test_names_in_attributes_cannot_close_them():
    ms = manifests()
    ms[1]["runs"][0]["host"] = ATTRIBUTE_BREAK  # shown in a timeline tooltip (an attribute)
    ms[1]["rendered"][0]["host"] = ATTRIBUTE_BREAK  # and in a bar's title
    ms[0]["settings"][ATTRIBUTE_BREAK] = ATTRIBUTE_BREAK
    text = page(ms, gaps=ATTRIBUTE_BREAK)
    assert "<img src=x" not in text
    assert text.count("<img") == 1  # the contact sheet
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in text


def test_file_names_become_relative_urls():
    files = {"video": 'take "2" #1.mp4', "poster": "p.jpg", "sheet": "a b.sheet.jpg"}
    text = page(files=files)
    assert 'src="take%20%222%22%20%231.mp4"' in text
    assert 'src="a%20b.sheet.jpg"' in text
    assert not re.search(r"""(src|href)=["'](https?:|//)""", text)


def test_one_bar_per_frame_and_its_marks():
    text = page()
    assert text.count('<rect class="bar"') == 12
    assert text.count('class="mark retry"') == 6
    assert text.count('class="mark reclaimed"') == 2
    assert "frame 9: 0.50 s, child 2, attempt 2, host ip-10-0-0-1, peak memory 309 MiB" in text


def test_the_script_policy_allows_exactly_the_page_script():
    text = page()
    script = re.search(r"<script>(.*?)</script>", text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = html.unescape(re.search(r'Content-Security-Policy" content="([^"]*)"', text)[1])
    assert f"script-src 'sha256-{digest}'" in policy
    assert policy.startswith("default-src 'none';")


def test_cost_is_shown_with_its_price_or_as_unknown():
    assert "unknown (pass --price-per-hour and --vcpus" in page()
    shown = page(price_per_hour=2.0, price_source="--price-per-hour")  # 43 s of children
    assert "$0.02 = 0.0119 child-hours x $2 a child-hour</td>" in shown
    assert "--price-per-hour; an estimate: prices change (Spot by the hour and zone)" in shown
