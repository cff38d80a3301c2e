"""`proxy.upstream.settings_key`: the form in which a borrow compares a client's settings with
an upstream's.  Equal settings give one shared key object (a borrow then compares at once),
and the comparison stays right whether or not the keys are shared."""

from __future__ import annotations

from txpostgres_proto.proxy import upstream
from txpostgres_proto.proxy.upstream import TRACKED_SETTINGS, settings_key


def _settings(application_name: str) -> dict[str, str]:
    values = {"client_encoding": "UTF8", "DateStyle": "ISO, MDY", "TimeZone": "Etc/UTC"}
    # Strings built at run time, as decoded from a startup packet or a ParameterStatus.
    values = {name: "".join(list(value)) for name, value in values.items()}
    values["application_name"] = "".join(list(application_name))
    values["untracked"] = "ignored"
    return values


def test_equal_settings_share_one_key() -> None:
    first, second = settings_key(_settings("app")), settings_key(_settings("app"))
    assert first is second
    assert first == tuple(_settings("app").get(name) for name in TRACKED_SETTINGS)
    assert settings_key(_settings("other")) != first


def test_keys_compare_right_once_the_remembered_ones_are_dropped() -> None:
    before = settings_key(_settings("app"))
    for number in range(upstream._KEYS_KEPT + 1):  # noqa: SLF001 - fill the memory past its size
        settings_key(_settings(f"client {number}"))
    assert len(upstream._KEYS) <= upstream._KEYS_KEPT  # noqa: SLF001
    after = settings_key(_settings("app"))
    assert after == before and after is not before
    assert settings_key(_settings("app")) is after
