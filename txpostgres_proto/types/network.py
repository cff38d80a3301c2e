"""``inet``, ``cidr`` (<-> ``ipaddress`` objects) and ``macaddr``/``macaddr8`` (<-> ``str``).

Python mapping: ``cidr`` is an ``IPv4Network``/``IPv6Network``; ``inet`` is an
``IPv4Address``/``IPv6Address`` when its netmask covers the whole address and an
``IPv4Interface``/``IPv6Interface`` (address plus prefix) otherwise. Encoders accept any of the
six classes or a string.

Text is what ``inet_out``/``cidr_out`` print: the netmask is omitted for an inet whose mask is the
full address; IPv6 is compressed like Python does, except that IPv4-mapped and IPv4-compatible
addresses end in dotted quad (``::ffff:1.2.3.4``), as PostgreSQL's ``inet_net_ntop`` prints them.

Binary (``inet_send``): family (2 = IPv4, 3 = IPv6), prefix bits, is-cidr flag, address length,
address bytes. macaddr's binary form is its 6 (macaddr8: 8) bytes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any, Final

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_FAMILY_INET: Final = 2
_FAMILY_INET6: Final = 3
_FAMILY_OF_VERSION: Final = {4: _FAMILY_INET, 6: _FAMILY_INET6}

# --- text -------------------------------------------------------------------------------------


def decode_inet_text(data: bytes) -> IPAddress | IPInterface:
    text = data.decode()
    if "/" in text:
        return ipaddress.ip_interface(text)
    return ipaddress.ip_address(text)


def decode_cidr_text(data: bytes) -> IPNetwork:
    return ipaddress.ip_network(data.decode())


def _address_text(address: IPAddress) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        packed = address.packed
        mapped = packed[10:12] == b"\xff\xff"
        compatible = packed[10:12] == b"\x00\x00" and packed[12:14] != b"\x00\x00"
        if packed[:10] == bytes(10) and (mapped or compatible):
            prefix = "::ffff:" if mapped else "::"
            return prefix + str(ipaddress.IPv4Address(packed[12:]))
    return str(address)


def _parts(value: Any) -> tuple[IPAddress, int]:
    """(address, prefix length) of any ``ipaddress`` value or string."""
    if isinstance(value, str):
        value = ipaddress.ip_interface(value) if "/" in value else ipaddress.ip_address(value)
    if isinstance(value, ipaddress.IPv4Interface | ipaddress.IPv6Interface):
        return value.ip, value.network.prefixlen
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value.network_address, value.prefixlen
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value, value.max_prefixlen
    raise TypeError(f"cannot encode {type(value).__name__} as inet/cidr")


def encode_inet_text(value: Any) -> bytes:
    address, prefix = _parts(value)
    text = _address_text(address)
    if prefix != address.max_prefixlen:
        text += f"/{prefix}"
    return text.encode()


def encode_cidr_text(value: Any) -> bytes:
    address, prefix = _parts(value)
    network = ipaddress.ip_network((address, prefix))  # rejects bits set right of the mask
    return f"{_address_text(network.network_address)}/{prefix}".encode()


# --- binary -----------------------------------------------------------------------------------


def _unpack(data: bytes) -> tuple[IPAddress, int]:
    family, bits, _is_cidr, size = data[0], data[1], data[2], data[3]
    raw = bytes(data[4 : 4 + size])
    if family == _FAMILY_INET and size == 4:
        return ipaddress.IPv4Address(raw), bits
    if family == _FAMILY_INET6 and size == 16:
        return ipaddress.IPv6Address(raw), bits
    raise ValueError(f"invalid inet/cidr binary value {bytes(data)!r}")


def decode_inet_binary(data: bytes) -> IPAddress | IPInterface:
    address, bits = _unpack(data)
    if bits == address.max_prefixlen:
        return address
    return ipaddress.ip_interface((address, bits))


def decode_cidr_binary(data: bytes) -> IPNetwork:
    return ipaddress.ip_network(_unpack(data))


def _make_binary_encoder(is_cidr: int) -> Callable[[Any], bytes]:
    def encode(value: Any) -> bytes:
        address, prefix = _parts(value)
        if is_cidr:
            address = ipaddress.ip_network((address, prefix)).network_address
        packed = address.packed
        family = _FAMILY_OF_VERSION[address.version]
        return bytes((family, prefix, is_cidr, len(packed))) + packed

    return encode


encode_inet_binary = _make_binary_encoder(0)
encode_cidr_binary = _make_binary_encoder(1)

# --- macaddr ----------------------------------------------------------------------------------


def decode_macaddr_binary(data: bytes) -> str:
    return bytes(data).hex(":")


def encode_macaddr_binary(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value).replace(":", "").replace("-", "").replace(".", ""))
