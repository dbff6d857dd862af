"""Host candidates for ICE, loopback included.

aioice leaves 127.0.0.1 out of its host candidates, so on a machine whose only usable interface is
loopback (a container without a network, CI) no call could connect. We add it, and let a deployment
(or a test) pin the exact addresses it offers.
"""

from __future__ import annotations

from collections.abc import Sequence

import aioice.ice

_original_get_host_addresses = aioice.ice.get_host_addresses
LOOPBACK_V4 = "127.0.0.1"


def use_host_addresses(addresses: Sequence[str]) -> None:
    """Offer exactly `addresses` as host candidates, or every interface plus loopback when empty."""
    pinned = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        if pinned:
            return [a for a in pinned if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]
        found = _original_get_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
        return [*found, LOOPBACK_V4] if use_ipv4 and LOOPBACK_V4 not in found else found

    aioice.ice.get_host_addresses = host_addresses
