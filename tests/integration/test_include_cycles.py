"""The daemon's modules (NAME.c with NAME.h) include one another without a cycle: the core under
the bus, the bus's objects under their connection, the composition root on top
(docs/architecture.md, "Layers")."""
import glob
import os
import re
import sys

SOURCE = os.environ.get("MCD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def include_graph():
    mods = {}
    for path in glob.glob(os.path.join(SOURCE, "daemon", "**", "*.[ch]"), recursive=True):
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as f:
            mods.setdefault(name, set()).update(re.findall(r'#include "([^"]+)\.h"', f.read()))
    return {m: {i for i in incs if i in mods and i != m} for m, incs in mods.items()}


def cycles(graph):
    """Tarjan's strongly connected components of more than one module."""
    sys.setrecursionlimit(10000)
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_include_cycle_among_the_daemons_modules():
    graph = include_graph()
    assert len(graph) > 20, graph
    assert cycles(graph) == []


def test_no_core_module_includes_sd_bus_or_sd_event():
    core = [p for p in glob.glob(os.path.join(SOURCE, "daemon", "*.[ch]"))
            if os.path.basename(p) not in ("daemon.c", "daemon.h", "daemon-context.h", "main.c")]
    assert core
    for path in core:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        assert "sd-bus.h" not in text and "sd-event.h" not in text, path
