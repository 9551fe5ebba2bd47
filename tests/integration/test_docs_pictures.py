"""The pictures in the docs are the tools' own output, so they stay true: docs/images/swedish.svg
is `chairctl profile plot` of the shipped program, and the README's captures are `chairctl
status` and `chairctl monitor --once` of a fresh simulated chair. MCD_UPDATE_DOCS=1 rewrites
them instead of comparing. Also: the bring-up guide and the README name only files that exist
in the repository."""
import os
import re
import subprocess

import chairtest

UPDATE = os.environ.get("MCD_UPDATE_DOCS") == "1"
SRC = chairtest.SOURCE_DIR
PLOT = os.path.join(SRC, "docs", "images", "swedish.svg")
README = os.path.join(SRC, "README.md")


def chairctl(*args, env=None):
    r = subprocess.run([chairtest.binary("chairctl"), *args], capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_profile_plot_in_the_docs_is_current():
    svg = chairctl("profile", "plot", os.path.join(SRC, "profiles", "programs", "swedish.ini"), "-o", "-")
    if UPDATE:
        os.makedirs(os.path.dirname(PLOT), exist_ok=True)
        with open(PLOT, "w") as f:
            f.write(svg)
    with open(PLOT) as f:
        assert f.read() == svg, "docs/images/swedish.svg is stale: MCD_UPDATE_DOCS=1 ctest -R test_docs_pictures"
    with open(os.path.join(SRC, "docs", "profiles.md")) as f:
        assert "images/swedish.svg" in f.read()


def capture_block(text, command):
    m = re.search(rf"<!-- capture: {re.escape(command)} -->\n```\n(.*?)```\n<!-- /capture -->", text, re.S)
    assert m, f"README.md has no capture of {command}"
    return m


def test_readme_captures_are_current(daemon, bus):
    with open(README) as f:
        text = f.read()
    for command in ("chairctl status", "chairctl monitor --once"):
        out = chairctl(*command.split()[1:], env=bus.env())
        m = capture_block(text, command)
        if UPDATE:
            text = text[:m.start(1)] + out + text[m.end(1):]
        else:
            assert m.group(1) == out, f"README's capture of {command} is stale (MCD_UPDATE_DOCS=1 updates it):\n{out}"
    if UPDATE:
        with open(README, "w") as f:
            f.write(text)


def test_guides_name_only_files_in_the_repository():
    for doc in ("README.md", "docs/bring-up.md"):
        with open(os.path.join(SRC, doc)) as f:
            text = f.read()
        assert "../shared" not in text and "/work/" not in text, doc
        base = os.path.dirname(os.path.join(SRC, doc))
        for link in re.findall(r"\]\(([^)#]+)\)", text):
            if "://" not in link:
                assert os.path.exists(os.path.join(base, link)), f"{doc}: {link}"
        for path in re.findall(r"`((?:docs|hardware-maps|scripts|tests|tools|man|profiles)/[\w./-]+)`", text):
            assert os.path.exists(os.path.join(SRC, path)), f"{doc}: {path}"


def test_panel_picture_shows_the_idle_chair(daemon, bus):
    """docs/panel.md's display reads what `chairctl hw` reads on the demo's idle chair."""
    with open(os.path.join(SRC, "docs", "panel.md")) as f:
        text = f.read()
    picture = text.split("## The reference chair's panel", 1)[1].split("```", 2)[1]
    rows = [line for line in picture.splitlines() if line.count("│") >= 9]
    fields = [c.strip() for c in rows[0].split("│")[2:-2]]
    values = [c.strip() for c in rows[1].split("│")[2:-2]]
    shown = dict(zip(fields, values))
    import json
    hw = {r["name"]: r for r in json.loads(chairctl("--json", "hw", env=bus.env()))}
    names = {"program": "display_program", "minutes": "display_minutes", "intens.": "display_intensity",
             "speed": "display_speed", "width": "display_width", "air": "display_air", "heat": "display_heat",
             "fault": "display_fault"}
    for field, output in names.items():
        value = int(hw[output]["value"])
        assert shown[field] == ("" if field == "fault" and value == 0 else str(value)), (field, shown, value)
    leds = [n for n in ("led_power", "led_heat", "led_air", "led_lock") if hw[n]["value"]]
    assert "(●)" not in picture and not leds, leds
