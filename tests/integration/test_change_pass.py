"""The change pass (daemon/bus/chair-object.c): a marked property is announced in
PropertiesChanged when its value differs from the one last announced, and only then, with the
value Get returns. The setters given a new value, then the same value again: the second round
announces nothing."""
import chairtest
from test_dbus_contract import Signals

# Properties that move by themselves while idle (the simulated chair's physics).
MOVING = {"Temperatures", "RollerPosition", "Remaining", "ActiveAirZones"}


def other(current, a, b):
    return a if current != a else b


def test_announced_once_per_value(bus, daemon):
    signals = Signals(bus.address)
    try:
        daemon.call("SetPrecautions", "as", 1, "kidney-or-liver-problems")  # intensity at most 3
        # Health data: announced as invalidated, never with its value (docs/dbus-api.md).
        invalidated = lambda: [a for a in signals.find("PropertiesChanged") if "Precautions" in a[2]]
        chairtest.wait_for(invalidated, 5, "PropertiesChanged(Precautions invalidated)")
        assert not signals.changed("Precautions")
        get = daemon.get_property
        heat = get("HeatLevels")["lumbar"]
        steps = [
            ("SetIntensity", "u", (other(get("Intensity"), 2, 1),), "Intensity"),
            ("SetSpeed", "u", (other(get("Speed"), 2, 1),), "Speed"),
            ("SetDepth", "u", (other(get("Depth"), 2, 1),), "Depth"),
            ("SetWidth", "s", (other(get("Width"), "narrow", "wide"),), "Width"),
            ("SetTimer", "u", (other(get("Timer"), 30, 20),), "Timer"),
            ("SetChildLock", "b", ("false" if get("ChildLock") else "true",), "ChildLock"),
            ("SetHeat", "su", ("lumbar", other(heat, 2, 1)), "HeatLevels"),
            ("SetAir", "asu", (2, "calves", "feet", other(get("AirIntensity"), 2, 3)), "AirZones"),
        ]
        for method, signature, args, prop in steps:
            before = len(signals.changed(prop))
            daemon.call(method, signature, *args)
            chairtest.wait_for(lambda: len(signals.changed(prop)) > before, 5, f"PropertiesChanged({prop})")
            assert signals.changed(prop)[-1] == get(prop), method
        assert signals.changed("AirIntensity")[-1] == get("AirIntensity")

        # The same values again, then one new value as a marker: the passes run in order, so
        # once the marker is announced, the repeats have been passed over.
        count = len(signals.find("PropertiesChanged"))
        for method, signature, args, prop in steps:
            daemon.call(method, signature, *args)
        daemon.call("SetPrecautions", "as", 1, "kidney-or-liver-problems")
        marker = other(get("Intensity"), 3, 1)
        daemon.call("SetIntensity", "u", marker)
        # Only the signals after the repeats count: the marker's value may have been announced before.
        chairtest.wait_for(lambda: any(a[1].get("Intensity") == marker for a in signals.find("PropertiesChanged")[count:]),
                           5, "the marker announced")
        announced = [sorted((set(a[1]) | set(a[2])) - MOVING) for a in signals.find("PropertiesChanged")[count:]]
        assert [names for names in announced if names] == [["Intensity"]], announced
    finally:
        signals.close()
