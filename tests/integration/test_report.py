"""chairctl report (docs/people.md, "Outcomes"): the table, JSON and SVG plot of a person's
outcomes, from fixed state files (--history) and from a --simulate daemon. The numbers are
daemon/outcomes.c's, checked here against values worked out by hand."""
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

import chairtest

SVG = "{http://www.w3.org/2000/svg}"
NR = 65535
BASE = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400

# The history file's lines (docs/state-files.md): one unrated session, a program name to escape.
SESSIONS = [
    (1, "swedish", 0, 7, 3), (2, "swedish", 1, 6, 2), (3, "deep-tissue", 2, 8, 5),
    (4, "swedish", 3, NR, NR), (5, "deep-tissue", 4, 7, 6), (6, "swedish", 5, 5, 1),
    (7, "swedish", 6, 4, 1), (8, "swedish", 7, 4, 2), (9, "a <b> & c", 8, 7, 4),
]

# Worked out by hand: all 48/8 -> 24/8; swedish 26/5 -> 9/5; deep-tissue 15/2 -> 11/2. The
# changes of the rated sessions in time order are -4 -4 -3 -1 -4 -3 -2 -3: the last three
# against the three before, (-8 - -8) / 3 = 0.
TABLE = """\
Outcomes of Ann: 9 sessions, 8 rated; the trend compares the last 3 rated with the 3 before (negative: less pain than before).

                     SESSIONS  RATED  PAIN BEFORE → AFTER  CHANGE  TREND
all sessions                9      8          6.0 → 3.0      -3.0  → steady (+0.0)

PROGRAM              SESSIONS  RATED  PAIN BEFORE → AFTER  CHANGE  TREND
swedish                     6      5          5.2 → 1.8      -3.4  - (needs 6 rated)
deep-tissue                 2      2          7.5 → 5.5      -2.0  - (needs 6 rated)
a <b> & c                   1      1          7.0 → 4.0      -3.0  - (needs 6 rated)
"""

# --last 2: the last two changes -2 -3 against the two before, -4 -3: (-5 - -7) / 2 = +1;
# swedish's rated changes -4 -4 -4 -3 -2: (-5 - -8) / 2 = +1.5.
LAST2 = """\
all sessions                9      8          6.0 → 3.0      -3.0  ↑ worse (+1.0)
swedish                     6      5          5.2 → 1.8      -3.4  ↑ worse (+1.5)
deep-tissue                 2      2          7.5 → 5.5      -2.0  - (needs 4 rated)
a <b> & c                   1      1          7.0 → 4.0      -3.0  - (needs 4 rated)
"""


def history_text(sessions=SESSIONS):
    return "".join(f"{i}\t{p}\t{(BASE + d * DAY) * 1000000}\t900\t3\t{b}\t{a}\tcompleted\n"
                   for i, p, d, b, a in sessions)


def session_line(i, program, day, before, after, areas_before=None, areas_after=None, goal="relief"):
    """A person file's session= line (daemon/person-file.h): the entry's fields, then assessed,
    focused, goal and the pain per area (pain_area order) before and after."""
    order = ["neck", "shoulders", "upper-back", "lower-back", "hips", "calves", "feet"]
    ab = [(areas_before or {}).get(a, NR) for a in order]
    aa = [(areas_after or {}).get(a, NR) for a in order]
    assessed = 1 if areas_before else 0
    fields = [i, program.replace(",", "%2C"), (BASE + day * DAY) * 1000000, 900, 3, before, after, "completed",
              assessed, 0, goal, *ab, *aa]
    return "session=" + ",".join(str(f) for f in fields) + "\n"


PERSON = ("name=Ann <&> Lee\nconditions=\n"
          + session_line(1, "swedish", 0, 7, 3, {"neck": 8, "lower-back": 5}, {"neck": 4, "lower-back": 5})
          + session_line(2, "neck-relief", 1, 6, 2, {"neck": 6}, {"neck": 2})
          + session_line(3, "swedish", 2, NR, NR)
          + session_line(4, "neck-relief", 3, 5, 2, {"neck": 7}, {}))


def chairctl(*args, env=None):
    return subprocess.run([chairtest.binary("chairctl"), *args], capture_output=True, text=True,
                          env=env, timeout=20 * chairtest.SLOWDOWN)


@pytest.fixture
def files(workdir):
    paths = {}
    for name, text in (("Ann", history_text()), ("person", PERSON)):
        paths[name] = os.path.join(workdir, name)
        with open(paths[name], "w") as f:
            f.write(text)
    return paths


def test_table_from_a_history_file(files):
    r = chairctl("report", "--history", files["Ann"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == TABLE.replace("Outcomes of Ann", "Outcomes of " + files["Ann"])
    r = chairctl("report", "--history", files["Ann"], "--last", "2", "--no-legend")
    assert r.returncode == 0, r.stderr
    assert r.stdout == LAST2


def test_json(files):
    r = chairctl("report", "--history", files["Ann"], "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["trend_n"] == 3
    assert out["all"] == {"sessions": 9, "rated": 8, "mean_before": 6.0, "mean_after": 3.0, "mean_change": -3.0,
                          "trend": 0.0, "last": "2026-01-09T00:00:00Z"}
    assert [p["program"] for p in out["programs"]] == ["swedish", "deep-tissue", "a <b> & c"]
    swedish = out["programs"][0]
    assert swedish["sessions"] == 6 and swedish["rated"] == 5 and "trend" not in swedish
    assert (swedish["mean_before"], swedish["mean_after"], swedish["mean_change"]) == (5.2, 1.8, -3.4)
    assert out["areas"] == []


def test_person_file_with_areas(files):
    with open(files["person"], "rb") as f:
        before = f.read()
    r = chairctl("report", "--history", files["person"], "--last", "1")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Outcomes of Ann <&> Lee: 4 sessions, 3 rated;"), lines[0]
    # neck: named three times, rated after twice (8 -> 4, 6 -> 2); lower back once (5 -> 5).
    i = lines.index("AREA                 SESSIONS  RATED  PAIN BEFORE → AFTER  CHANGE  TREND")
    assert lines[i + 1:] == [
        "neck                        3      2          7.0 → 3.0      -4.0  → steady (+0.0)",
        "lower-back                  1      1          5.0 → 5.0      +0.0  - (needs 2 rated)",
    ]
    # 18/3 -> 7/3; the changes -4 -4 -3: the last one against the one before, +1.
    assert "all sessions                4      3          6.0 → 2.3      -3.7  ↑ worse (+1.0)" in lines
    assert lines.index("PROGRAM              SESSIONS  RATED  PAIN BEFORE → AFTER  CHANGE  TREND") < i
    with open(files["person"], "rb") as f:
        assert f.read() == before


def test_program_order_ties_by_recent_use(files):
    r = chairctl("report", "--history", files["person"], "--no-legend")
    assert r.returncode == 0, r.stderr
    # Two sessions each: the most recently used first (neck-relief on day 3, swedish on day 2).
    names = [line.split()[0] for line in r.stdout.splitlines()]
    assert names[:3] == ["all", "neck-relief", "swedish"], r.stdout


def test_a_damaged_person_file_is_read_never_changed(files, workdir):
    with open(files["person"], "a") as f:
        f.write("this is not a line of a person file\n")
    with open(files["person"], "rb") as f:
        before = f.read()
    r = chairctl("report", "--history", files["person"], "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["all"]["sessions"] == 4
    assert "leaves them out" in r.stderr
    with open(files["person"], "rb") as f:
        assert f.read() == before
    assert sorted(os.listdir(workdir)) == ["Ann", "person"]


def svg_series(path):
    root = ET.parse(path).getroot()  # well-formed XML, or this raises
    assert root.tag == SVG + "svg"
    assert not list(root.iter(SVG + "script")) and not list(root.iter("script"))
    series = {}
    for g in root.iter(SVG + "g"):
        if (g.get("id") or "").startswith("series-"):
            marks = g.findall(SVG + "circle")
            points = g.find(SVG + "polyline").get("points").split()
            assert len(points) == len(marks)
            series[g.get("id")] = marks
    return root, series


def test_svg_points_per_series_and_escaping(files, workdir):
    out = os.path.join(workdir, "ann.svg")
    r = chairctl("report", "--history", files["Ann"], "--svg", out)
    assert r.returncode == 0, r.stderr
    assert os.stat(out).st_mode & 0o777 == 0o600  # health data
    root, series = svg_series(out)
    assert {k: len(v) for k, v in series.items()} == {"series-all-before": 8, "series-all-after": 8}
    tips = [m.find(SVG + "title").text for m in series["series-all-after"]]
    assert "2026-01-09T00:00:00Z a <b> & c, all sessions, after: 4" in tips
    with open(out) as f:
        raw = f.read()
    assert "a &lt;b&gt; &amp; c" in raw and "a <b>" not in raw
    texts = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    for word in ("pain (0 none, 10 worst)", "date of the session (UTC)", "all sessions, before",
                 "all sessions, after", "2026-01-01"):
        assert word in texts, word

    out = os.path.join(workdir, "person.svg")
    r = chairctl("report", "--history", files["person"], "--svg", out)
    assert r.returncode == 0, r.stderr
    root, series = svg_series(out)
    assert {k: len(v) for k, v in series.items()} == {
        "series-all-before": 3, "series-all-after": 3, "series-neck-before": 3, "series-neck-after": 2,
        "series-lower-back-before": 1, "series-lower-back-after": 1}
    title = next(root.iter(SVG + "text")).text
    assert title == "Pain before and after each session: Ann <&> Lee"

    # To stdout: the picture alone.
    r = chairctl("report", "--history", files["person"], "--svg", "-")
    assert r.returncode == 0 and r.stdout.startswith("<?xml") and r.stdout.rstrip().endswith("</svg>")


def test_empty_and_bad_files(workdir):
    empty = os.path.join(workdir, "empty")
    open(empty, "w").close()
    r = chairctl("report", "--history", empty)
    assert r.returncode == 0 and r.stdout == f"No sessions recorded for {empty}.\n", r.stdout
    out = os.path.join(workdir, "empty.svg")
    assert chairctl("report", "--history", empty, "--svg", out).returncode == 0
    assert svg_series(out)[1] == {}

    bad = os.path.join(workdir, "bad")
    with open(bad, "w") as f:
        f.write(history_text()[:0] + "1\tswedish\t1\t900\t3\t7\t3\tcompleted\n2\tswedish\t2\t900\t3\t11\t3\tcompleted\n")
    r = chairctl("report", "--history", bad)
    assert r.returncode == 1 and f"{bad}:2: a pain rating is not 0-10" in r.stderr, r.stderr
    r = chairctl("report", "--history", os.path.join(workdir, "missing"))
    assert r.returncode == 1 and "missing" in r.stderr


def test_control_characters_never_reach_the_terminal_or_the_svg(workdir):
    path = os.path.join(workdir, "ctl")
    with open(path, "w") as f:
        f.write(f"1\tx\x1b[2Jy\t{BASE * 1000000}\t900\t3\t7\t3\tcompleted\n")
    r = chairctl("report", "--history", path)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "x?[2Jy" in r.stdout
    assert "1 session, 1 rated" in r.stdout
    out = os.path.join(workdir, "ctl.svg")
    assert chairctl("report", "--history", path, "--svg", out).returncode == 0
    root, series = svg_series(out)  # XML 1.0 cannot carry the escape: parsed, it is not there
    assert [m.find(SVG + "title").text for m in series["series-all-after"]] == [
        "2026-01-01T00:00:00Z x?[2Jy, all sessions, after: 3"]


def test_invalid_utf8_never_breaks_the_svg(workdir):
    """Bytes that are not UTF-8 never reach the picture: in a file's name (the report's title) they
    are replaced, in its lines the file is refused naming FILE:LINE. (svg_escape's own U+FFFD for
    each invalid byte, for texts cut short elsewhere, is unit/test-svg's.)"""
    path = os.path.join(os.fsencode(workdir), b"An\xffn\xe2\x82")
    with open(path, "w") as f:
        f.write(history_text())
    out = os.path.join(workdir, "utf8.svg")
    r = subprocess.run([chairtest.binary("chairctl"), "report", "--history", path, "--svg", out],
                       capture_output=True, timeout=20 * chairtest.SLOWDOWN)
    assert r.returncode == 0, r.stderr
    root, series = svg_series(out)  # well-formed, or this raises
    with open(out, "rb") as f:
        f.read().decode("utf-8")  # strict: every byte of it is UTF-8
    title = next(root.iter(SVG + "text")).text
    assert title.startswith("Pain before and after each session: "), title
    if len(path) <= 32:  # the title holds a name's 32 bytes
        assert title.endswith("An?n??"), title
    bad = os.path.join(workdir, "bad-utf8")
    with open(bad, "wb") as f:
        f.write(history_text().encode() + b"10\tsw\xc3edish\t1\t900\t3\t7\t3\tcompleted\n")
    r = chairctl("report", "--history", bad, "--svg", out)
    assert r.returncode == 1 and f"{bad}:10: invalid UTF-8" in r.stderr, r.stderr


@pytest.mark.parametrize("args,words", [
    (["--last", "0"], "--last takes 1-250"), (["--last", "251"], "--last takes 1-250"),
    (["--last", "x"], "--last takes"), (["--frobnicate"], "not '--frobnicate'"), (["--svg"], "--svg needs a value"),
    (["--person", "a", "--history", "f"], "one of them"),
])
def test_usage(args, words):
    r = chairctl("report", *args)
    assert r.returncode == 2 and words in r.stderr, r.stderr


def seeded_daemon(start_daemon, workdir):
    """A --simulate daemon whose state directory holds the fixed history (the single-person file
    of before people: a daemon with people moves it into the guest)."""
    state = os.path.join(workdir, "state")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "history"), "w") as f:
        f.write(history_text())
    return start_daemon()


def introspect(bus, path):
    r = bus.busctl("introspect", "--xml-interface", chairtest.BUS_NAME, path, check=False)
    return r.stdout if r.returncode == 0 else ""


def rows(text):
    """The table without the heading line, which names the person or the file."""
    return text.split("\n", 1)[1]


def test_against_the_daemon(start_daemon, bus, workdir, files):
    d = seeded_daemon(start_daemon, workdir)
    chair = introspect(bus, chairtest.OBJECT_PATH)
    if 'name="ActivePerson"' in chair and 'name="GetHistory"' not in introspect(bus, chairtest.OBJECT_PATH + "/people/0"):
        pytest.skip("the daemon has people but no org.massagechair.Chair1.Person.GetHistory yet")
    r = chairctl("report", env=bus.env())
    assert r.returncode == 0, r.stdout + r.stderr + d.output()
    expect = chairctl("report", "--history", files["Ann"]).stdout
    assert rows(r.stdout) == rows(expect)
    who = "guest" if 'name="ActivePerson"' in chair else "the chair"
    assert r.stdout.startswith(f"Outcomes of {who}: 9 sessions, 8 rated;"), r.stdout
    guest = os.path.join(workdir, "state", "people", "0")
    if who == "guest":
        # The guest's file as the daemon wrote it (the old history moved in), read offline; a
        # start writes nothing, the first setting stored writes it.
        assert chairctl("person", "timer", "guest", "20", env=bus.env()).returncode == 0
        offline = chairctl("report", "--history", guest)
        assert offline.returncode == 0 and offline.stdout == r.stdout, offline.stderr

    out = os.path.join(workdir, "daemon.svg")
    r = chairctl("report", "--svg", out, "--json", env=bus.env())
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["all"]["rated"] == 8
    assert {k: len(v) for k, v in svg_series(out)[1].items()} == {"series-all-before": 8, "series-all-after": 8}


def test_areas_against_the_daemon(start_daemon, bus, workdir, files):
    """The guest's own person file, as the daemon keeps it: the same tables through
    Person.GetHistory as from the file, the areas included."""
    people = os.path.join(workdir, "state", "people")
    os.makedirs(people, mode=0o700)
    with open(os.path.join(people, "0"), "w") as f:
        f.write(PERSON.replace("name=Ann <&> Lee", "name=guest"))
    os.chmod(os.path.join(people, "0"), 0o600)
    start_daemon()
    if 'name="GetHistory"' not in introspect(bus, chairtest.OBJECT_PATH + "/people/0"):
        pytest.skip("the daemon has no org.massagechair.Chair1.Person.GetHistory yet")
    r = chairctl("report", "--last", "1", env=bus.env())
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Outcomes of guest: 4 sessions, 3 rated;"), r.stdout
    assert rows(r.stdout) == rows(chairctl("report", "--history", files["person"], "--last", "1").stdout)
    assert "\nneck                        3      2          7.0 → 3.0" in r.stdout
    out = os.path.join(workdir, "guest.svg")
    assert chairctl("report", "--svg", out, env=bus.env()).returncode == 0
    assert {k: len(v) for k, v in svg_series(out)[1].items()} == {
        "series-all-before": 3, "series-all-after": 3, "series-neck-before": 3, "series-neck-after": 2,
        "series-lower-back-before": 1, "series-lower-back-after": 1}


def test_the_daemons_summary_is_the_reports(start_daemon, bus, workdir):
    """Person.GetSummary and chairctl report run one function on one history: the same numbers."""
    seeded_daemon(start_daemon, workdir)
    if 'name="GetSummary"' not in introspect(bus, chairtest.OBJECT_PATH + "/people/0"):
        pytest.skip("the daemon has no org.massagechair.Chair1.Person.GetSummary yet")
    r = bus.busctl("call", "--json=short", chairtest.BUS_NAME, chairtest.OBJECT_PATH + "/people/0",
                   "org.massagechair.Chair1.Person", "GetSummary", "u", "2")
    summary = {k: v["data"] for k, v in json.loads(r.stdout)["data"][0].items()}
    report = json.loads(chairctl("report", "--json", "--last", "2", env=bus.env()).stdout)
    assert summary["trend_n"] == report["trend_n"] == 2

    def same(stats, mine):
        stats = {k: v["data"] for k, v in stats.items()}
        assert (stats["sessions"], stats["rated"]) == (mine["sessions"], mine["rated"])
        for k in ("mean_before", "mean_after", "mean_change", "trend"):
            assert round(stats[k], 1) == mine.get(k, 0.0), k

    same(summary["all"], report["all"])
    assert list(summary["programs"]) == [p["program"] for p in report["programs"]]
    for p in report["programs"]:
        same(summary["programs"][p["program"]], p)
    assert summary["areas"] == {}


def test_person_option_against_the_daemon(start_daemon, bus, workdir, files):
    seeded_daemon(start_daemon, workdir)
    people = introspect(bus, chairtest.OBJECT_PATH + "/people")
    if 'name="FindByName"' not in people:
        pytest.skip("the daemon has no org.massagechair.Chair1.People.FindByName yet")
    if 'name="GetHistory"' not in introspect(bus, chairtest.OBJECT_PATH + "/people/0"):
        pytest.skip("the daemon has no org.massagechair.Chair1.Person.GetHistory yet")
    r = chairctl("report", "--person", "guest", env=bus.env())
    assert r.returncode == 0, r.stderr
    assert rows(r.stdout) == rows(chairctl("report", "--history", files["Ann"]).stdout)
    r = chairctl("report", "--person", "nobody", env=bus.env())
    assert r.returncode == 1 and "chairctl person list" in r.stderr, r.stderr


def test_without_a_daemon(bus):
    r = chairctl("report", env=bus.env())
    assert r.returncode == 3 and "--history FILE" in r.stderr, r.stderr
